import assert from "node:assert/strict";
import type { EpochRecord } from "../training/train.ts";
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
