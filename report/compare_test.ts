import assert from "node:assert/strict";
import { syntheticDataset } from "../datasets/synthetic.ts";
import { runComparison } from "./compare.ts";
import { compareConfigs, fcnSpec } from "./configs.ts";
import { reportMarkdown } from "./markdown.ts";
import { lineChart } from "./svg.ts";
import { writeReport } from "./write.ts";

const data = syntheticDataset({ features: 784, classes: 10, trainCount: 256, testCount: 128, seed: 1 });

Deno.test("runComparison() trains every configuration, the TF.js peer included, and computes ratios and targets", async () => {
  const configs = compareConfigs(["backprop", "sg", "csg", "tfjs-layers"], [1], ["synthetic"]);
  assert.deepEqual(configs.map((c) => c.name), [
    "fcn1-backprop-bn-synthetic",
    "fcn1-sg-bn-synthetic",
    "fcn1-csg-bn-synthetic",
    "fcn1-tfjs-layers-bn-synthetic",
  ]);
  const seen: string[] = [];
  const report = await runComparison(configs, {
    epochs: 3,
    batchSize: 32,
    seed: 0,
    target: 0.5,
    datasets: { synthetic: data },
    onEpochEnd: (c, r) => seen.push(`${c.interface}:${r.epoch}`),
  });
  assert.equal(seen.length, 12);
  assert.equal(report.results.length, 4);
  const [bp, sg, csg, peer] = report.results;
  assert.equal(bp!.speedVsBackprop, 1);
  for (const r of report.results) {
    assert.equal(r.epochs.length, 3);
    assert.ok(r.samplesPerSecond > 0 && r.secondsPerEpoch > 0);
    assert.ok(r.testAccuracy >= 0 && r.testAccuracy <= 1);
    assert.ok(r.speedVsBackprop! > 0);
    // Time to target is the training time up to the first epoch at or above the target.
    const first = r.epochs.findIndex((e) => e.testAccuracy! >= 0.5);
    if (first < 0) assert.equal(r.secondsToTarget, null);
    else {
      assert.equal(r.epochsToTarget, first + 1);
      const expected = r.epochs.slice(0, first + 1).reduce((s, e) => s + e.seconds, 0);
      assert.ok(Math.abs(r.secondsToTarget! - expected) < 1e-9);
    }
  }
  assert.ok(peer!.testAccuracy > 0.5, `the TF.js peer learns (${peer!.testAccuracy})`);
  assert.equal(sg!.diagnostics.length, 1);
  assert.equal(csg!.diagnostics[0]!.type, "csg");
  assert.equal(bp!.diagnostics.length, 0);

  const md = reportMarkdown(report);
  assert.match(md, /\| fcn1-csg-bn-synthetic \| [\d.]+ \| \d+ \| [\d.]+x \|/);
  assert.match(md, /same seed, data order and budget/);
  const dir = await Deno.makeTempDir();
  const paths = await writeReport(report, `${dir}/out`);
  assert.deepEqual(paths.map((p) => p.slice(dir.length + 5)), [
    "report.md",
    "report.json",
    "curves-time.svg",
    "curves-epochs.svg",
  ]);
  assert.equal(JSON.parse(await Deno.readTextFile(paths[1]!)).results.length, 4);
  const svg = await Deno.readTextFile(paths[2]!);
  assert.equal(svg.match(/<polyline/g)!.length, 4);
  assert.deepEqual([...Deno.readDirSync(`${dir}/out`)].map((e) => e.name).sort(), [
    "curves-epochs.svg",
    "curves-time.svg",
    "report.json",
    "report.md",
  ]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("fcnSpec() is the paper's FC -> BN -> ReLU block with the interface on every hidden layer", () => {
  const spec = fcnSpec(2, "sg");
  assert.deepEqual(spec.layers[1], { type: "dense", units: 256, activation: "relu", batchNorm: true, interface: "sg" });
  assert.deepEqual(spec.layers[2], { type: "dense", units: 10 });
});

Deno.test("lineChart() draws one line per series with its legend, and escapes names", () => {
  const svg = lineChart([
    { name: "a<b", points: [[1, 0.5], [2, 0.9]] },
    { name: "c", points: [[1, 0.6]] },
  ], { title: "T", xLabel: "x", yLabel: "y" });
  assert.equal(svg.match(/<polyline/g)!.length, 2);
  assert.match(svg, /a&lt;b/);
  assert.equal(svg.match(/<circle/g)!.length, 3);
});

Deno.test("runComparison() runs rows on 2 workers (pipeline and data-parallel) and draws where the time goes", async () => {
  const small = syntheticDataset({ features: 784, classes: 10, trainCount: 128, testCount: 64, seed: 2 });
  const configs = compareConfigs(["backprop", "csg", "tfjs-layers"], [2], ["synthetic"], [1, 2]);
  assert.deepEqual(configs.map((c) => c.name), [
    "fcn2-backprop-bn-synthetic",
    "fcn2-csg-bn-synthetic",
    "fcn2-tfjs-layers-bn-synthetic",
    "fcn2-backprop-bn-synthetic-w2",
    "fcn2-csg-bn-synthetic-w2",
  ]);
  const report = await runComparison(configs.filter((c) => c.interface !== "tfjs-layers"), {
    epochs: 1,
    batchSize: 32,
    seed: 0,
    target: 0.99,
    datasets: { synthetic: small },
  });
  const piped = report.results.find((r) => r.name === "fcn2-csg-bn-synthetic-w2")!;
  assert.equal(piped.workers, 2);
  assert.equal(piped.epochs[0]!.stages!.length, 2);
  assert.ok(report.results.find((r) => r.name === "fcn2-backprop-bn-synthetic-w2")!.speedVsBackprop! > 0);
  const md = reportMarkdown(report);
  assert.match(md, /\| fcn2-csg-bn-synthetic-w2 \| 1 \| 1-2 \|/);
  const dir = await Deno.makeTempDir();
  const paths = await writeReport(report, dir);
  assert.ok(paths.some((p) => p.endsWith("stages.svg")));
  assert.match(await Deno.readTextFile(`${dir}/stages.svg`), /fcn2-csg-bn-synthetic-w2 stage 1 \(layers 1-2\)/);
  await Deno.remove(dir, { recursive: true });
});
