import assert from "node:assert/strict";
import { syntheticDataset } from "../datasets/synthetic.ts";
import { runComparison } from "./compare.ts";
import { compareConfigs } from "./configs.ts";
import { reportMarkdown } from "./markdown.ts";
import { beats, signTest, spreadOf, winsBeyondChance } from "./spread.ts";
import { type RowSpread, rowSpreads } from "./seeds.ts";
import type { ConfigResult } from "./compare.ts";

const data = syntheticDataset({ features: 784, classes: 10, trainCount: 256, testCount: 128, seed: 1 });

Deno.test("runComparison() with 3 seeds runs every row once per seed and reports each row's spread", async () => {
  const configs = compareConfigs(["backprop", "csg"], [1], ["synthetic"]);
  const started: string[] = [];
  const report = await runComparison(configs, {
    epochs: 2,
    batchSize: 32,
    seed: 5,
    seeds: [5, 6, 7],
    target: 0.3,
    datasets: { synthetic: data },
    onConfigStart: (c, i, total, seed) => started.push(`${i}/${total} ${c.interface} ${seed}`),
  });
  // all rows with the first seed, then the next
  assert.deepEqual(started, [
    "0/6 backprop 5",
    "1/6 csg 5",
    "2/6 backprop 6",
    "3/6 csg 6",
    "4/6 backprop 7",
    "5/6 csg 7",
  ]);
  assert.deepEqual(report.results.map((r) => r.seed), [5, 5, 6, 6, 7, 7]);
  assert.deepEqual(report.options.seeds, [5, 6, 7]);
  // different seeds train differently; the same seed trains alike (the backprop runs of seed 5 and 6 differ)
  assert.notEqual(report.results[0]!.testLoss, report.results[2]!.testLoss);
  // speed against the backprop run of the same seed
  for (const r of report.results.filter((r) => r.interface === "backprop")) assert.equal(r.speedVsBackprop, 1);
  const csgRuns = report.results.filter((r) => r.interface === "csg");
  const csg = report.spread!.find((s) => s.interface === "csg")!;
  const accs = csgRuns.map((r) => r.testAccuracy);
  const mean = accs.reduce((a, b) => a + b, 0) / 3;
  const sd = Math.sqrt(accs.reduce((s, a) => s + (a - mean) ** 2, 0) / 2);
  assert.equal(csg.testAccuracy.n, 3);
  assert.ok(Math.abs(csg.testAccuracy.mean - mean) < 1e-12);
  assert.ok(Math.abs(csg.testAccuracy.sd - sd) < 1e-12);
  assert.equal(csg.testAccuracy.min, Math.min(...accs));
  assert.equal(csg.testAccuracy.max, Math.max(...accs));
  assert.deepEqual(csg.seeds, [5, 6, 7]);
  assert.equal(csg.vsBackprop!.pairs, 3);
  assert.equal(report.spread!.find((s) => s.interface === "backprop")!.vsBackprop, undefined);

  const md = reportMarkdown(report);
  assert.match(md, /seeds 5, 6, 7/);
  assert.match(md, /## Conclusion over 3 seeds/);
  assert.match(md, /## Across seeds/);
  assert.match(md, /\| fcn1-csg-bn-synthetic \| 3 \| [\d.]+% ± [\d.]+ \([\d.]+%-[\d.]+%\) \|/);
  assert.match(md, /\| fcn1-csg-bn-synthetic \(seed 6\) \|/);
  assert.match(md, /never with 5 pairs or fewer/);
});

Deno.test("runComparison() refuses repeated or no seeds", async () => {
  const configs = compareConfigs(["backprop"], [1], ["synthetic"]);
  const options = { epochs: 1, batchSize: 32, seed: 0, target: 0.5, datasets: { synthetic: data } };
  await assert.rejects(() => runComparison(configs, { ...options, seeds: [1, 1] }), /seeds must be distinct.*\[1, 1\]/);
  await assert.rejects(() => runComparison(configs, { ...options, seeds: [] }), /at least one, got \[\]/);
});

Deno.test("the rules: ranges that do not overlap, and the sign test", () => {
  const a = spreadOf([0.98, 0.981, 0.979]), b = spreadOf([0.97, 0.975, 0.972]), c = spreadOf([0.978, 0.99, 0.985]);
  assert.equal(beats(a, b, true), true);
  assert.equal(beats(b, a, true), false);
  assert.equal(beats(a, c, true), false); // overlapping ranges
  assert.equal(beats(b, a, false), true); // lower is better (bits per character)
  assert.equal(beats(spreadOf([0.99]), spreadOf([0.5]), true), false); // one run has no spread
  assert.ok(Math.abs(signTest(9, 10) - 22 / 1024) < 1e-12);
  assert.ok(Math.abs(signTest(1, 10) - 22 / 1024) < 1e-12);
  assert.equal(winsBeyondChance(9, 10), true);
  assert.equal(winsBeyondChance(8, 10), false);
  assert.equal(winsBeyondChance(6, 6), true);
  assert.equal(winsBeyondChance(5, 5), false);
  assert.equal(winsBeyondChance(1, 10), false); // losing beyond chance is not winning
  assert.deepEqual(spreadOf([NaN, null]), { n: 0, mean: NaN, sd: NaN, min: NaN, max: NaN });
});

Deno.test("rowSpreads() pairs runs by seed and races to the target", () => {
  const run = (iface: string, seed: number, toTarget: number | null, acc: number): ConfigResult => ({
    name: iface,
    interface: iface,
    depth: 3,
    dataset: "mnist",
    workers: iface === "backprop" ? 1 : 2,
    epochs: [],
    secondsPerEpoch: 1,
    samplesPerSecond: 1,
    speedVsBackprop: null,
    secondsToTarget: toTarget,
    epochsToTarget: null,
    testAccuracy: acc,
    testLoss: 0,
    diagnostics: [],
    seed,
  });
  const runs: ConfigResult[] = [];
  // 10 pairs: local-loss faster in 9 (twice as fast), slower in one, and reaches it once where backprop does not
  for (let s = 0; s < 10; s++) {
    runs.push(run("backprop", s, s === 9 ? null : 4, 0.98), run("local-loss", s, s === 0 ? 5 : 2, 0.978));
  }
  const [bp, ll] = rowSpreads(runs) as [RowSpread, RowSpread];
  assert.equal(bp.reached, 9);
  assert.equal(ll.vsBackprop!.pairs, 10);
  assert.equal(ll.vsBackprop!.wins, 9);
  assert.equal(ll.vsBackprop!.winsBeyondChance, true);
  assert.equal(ll.vsBackprop!.medianRatio, 2); // pairs where both reached it: 8 at 4/2, one at 4/5
  assert.equal(ll.vsBackprop!.measureLoses, true); // 0.978 every run against 0.98 every run
});
