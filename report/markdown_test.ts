import assert from "node:assert/strict";
import type { EpochRecord } from "../training/history.ts";
import type { ComparisonReport, ConfigResult } from "./compare.ts";
import { reportMarkdown } from "./markdown.ts";

const MiB = 2 ** 20;

function result(name: string, epochs: EpochRecord[]): ConfigResult {
  return {
    name,
    interface: "csg",
    depth: 3,
    dataset: "mnist",
    workers: 1,
    epochs,
    secondsPerEpoch: 1,
    samplesPerSecond: 1000,
    speedVsBackprop: 1,
    secondsToTarget: null,
    epochsToTarget: null,
    testAccuracy: 0.9,
    testLoss: 0.3,
    diagnostics: [],
  };
}

const epoch = (n: number, memory?: EpochRecord["memory"]): EpochRecord => ({
  epoch: n,
  loss: 0.1,
  accuracy: 0.9,
  testAccuracy: 0.9,
  seconds: 1,
  samplesPerSecond: 1000,
  evalSeconds: 0.1,
  memory,
});

const report = (results: ConfigResult[]): ComparisonReport => ({
  createdAt: "2024-01-01T00:00:00.000Z",
  machine: {
    os: "linux",
    arch: "x86_64",
    cpuModel: "CPU",
    cpus: 2,
    memoryGiB: 8,
    deno: "2",
    v8: "12",
    backend: "wasm",
    tfjs: "4.22.0",
    wasm: "4.22.0",
  },
  options: { epochs: 3, batchSize: 128, seed: 0, target: 0.97, trainCount: 100, testCount: 10, staleness: 1 },
  results,
  note: "note",
});

Deno.test("reportMarkdown() shows memory after the first and last epoch, and the largest resident set", () => {
  const md = reportMarkdown(report([
    result("fcn3-csg-mnist", [
      epoch(1, { tensors: 40, bytes: 4 * MiB, rssBytes: 300 * MiB }),
      epoch(2, { tensors: 40, bytes: 4 * MiB, rssBytes: 330 * MiB }),
      epoch(3, { tensors: 40, bytes: 4 * MiB, rssBytes: 310 * MiB }),
    ]),
    result("fcn3-tfjs-layers-mnist", [epoch(1), epoch(2), epoch(3)]),
  ]));
  assert.match(md, /\| configuration \| epochs \| tensors \| tensor MiB \| RSS MiB \(largest\) \|/);
  assert.match(md, /\| fcn3-csg-mnist \| 3 \| 40 \/ 40 \| 4\.0 \/ 4\.0 \| 300\.0 \/ 310\.0 \(330\.0\) \|/);
  assert.doesNotMatch(md, /\| fcn3-tfjs-layers-mnist \| 3 \| /, "a row without memory records is left out");
});

Deno.test("reportMarkdown() has no memory table when no row recorded memory", () => {
  assert.doesNotMatch(reportMarkdown(report([result("old", [epoch(1)])])), /RSS MiB/);
});

function measured(
  name: string,
  fields: Partial<ConfigResult> & Pick<ConfigResult, "interface" | "samplesPerSecond" | "testAccuracy">,
): ConfigResult {
  return { ...result(name, [epoch(1)]), ...fields };
}

Deno.test("reportMarkdown() concludes: the fastest, the first to the target and the most accurate, against backprop", () => {
  const md = reportMarkdown(report([
    measured("fcn3-backprop-mnist", {
      interface: "backprop",
      samplesPerSecond: 8905,
      secondsToTarget: 7.0,
      epochsToTarget: 1,
      testAccuracy: 0.9793,
    }),
    measured("fcn3-csg-mnist", {
      interface: "csg",
      samplesPerSecond: 5510,
      secondsToTarget: 21.2,
      epochsToTarget: 2,
      testAccuracy: 0.9844,
    }),
    measured("fcn3-csg-w2-mnist", {
      interface: "csg",
      workers: 2,
      samplesPerSecond: 9473,
      secondsToTarget: 19.5,
      epochsToTarget: 3,
      testAccuracy: 0.981,
    }),
    measured("fcn3-sg-mnist", { interface: "sg", samplesPerSecond: 5723, testAccuracy: 0.9415 }),
  ]));
  const start = md.indexOf("## Conclusion");
  assert.ok(start >= 0 && start < md.indexOf("| configuration |"), "the conclusion comes before the tables");
  const text = md.slice(start, md.indexOf("## Measurements"));
  assert.match(text, /- \*\*Fastest\*\*: fcn3-csg-w2-mnist, 9473 samples\/s \(1\.06x backprop's 8905\)\./);
  assert.match(
    text,
    /- \*\*First to 97\.00% test accuracy\*\*: fcn3-backprop-mnist, in 7\.0 s of training \(1 epoch\) \(backprop itself\)\./,
  );
  assert.match(
    text,
    /- \*\*Best final test accuracy\*\*: fcn3-csg-mnist, 98\.44% \(\+0\.51 points against backprop's 97\.93%\)\./,
  );
});

Deno.test("reportMarkdown()'s conclusion says when nothing reached the target, and works without a backprop row", () => {
  const md = reportMarkdown(report([
    measured("fcn3-sg-mnist", { interface: "sg", samplesPerSecond: 5723, testAccuracy: 0.9415 }),
    measured("fcn3-csg-mnist", { interface: "csg", samplesPerSecond: 5510, testAccuracy: 0.95 }),
  ]));
  assert.match(md, /- \*\*To 97\.00% test accuracy\*\*: no configuration reached it\./);
  assert.match(md, /- \*\*Fastest\*\*: fcn3-sg-mnist, 5723 samples\/s\.\n/);
  assert.match(md, /- \*\*Best final test accuracy\*\*: fcn3-csg-mnist, 95\.00%\.\n/);
});

Deno.test("reportMarkdown()'s conclusion compares within each dataset and depth", () => {
  const md = reportMarkdown(report([
    measured("fcn3-backprop-mnist", { interface: "backprop", samplesPerSecond: 1000, testAccuracy: 0.97 }),
    measured("fcn3-csg-mnist", { interface: "csg", samplesPerSecond: 600, testAccuracy: 0.98 }),
    measured("fcn4-backprop-mnist", { interface: "backprop", depth: 4, samplesPerSecond: 800, testAccuracy: 0.96 }),
    measured("fcn4-csg-mnist", { interface: "csg", depth: 4, samplesPerSecond: 900, testAccuracy: 0.95 }),
  ]));
  assert.match(
    md,
    /mnist, 3 hidden layers:\n\n- \*\*Fastest\*\*: fcn3-backprop-mnist, 1000 samples\/s \(backprop itself\)\./,
  );
  assert.match(
    md,
    /- \*\*Best final test accuracy\*\*: fcn3-csg-mnist, 98\.00% \(\+1\.00 points against backprop's 97\.00%\)\./,
  );
  assert.match(
    md,
    /mnist, 4 hidden layers:\n\n- \*\*Fastest\*\*: fcn4-csg-mnist, 900 samples\/s \(1\.13x backprop's 800\)\./,
  );
  assert.match(md, /- \*\*Best final test accuracy\*\*: fcn4-backprop-mnist, 96\.00% \(backprop itself\)\./);
});
