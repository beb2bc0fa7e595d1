// The training state travels: Workers start from the network's whole training state (Adam's moments and step counts,
// the synthesizers' optimizers) and give it back after every epoch, so a run split in two by a checkpoint on Workers
// equals the run straight through, and (at staleness 0) one thread's.
import assert from "node:assert/strict";
import { buildNetwork } from "../network/build.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { train } from "../training/train.ts";
import { saveCheckpoint } from "../checkpoint/save.ts";
import { loadCheckpoint } from "../checkpoint/load.ts";
import { networkOptimizerState } from "../checkpoint/contents.ts";
import type { Strategy } from "../execution/strategy.ts";
import { dataParallel } from "./data_parallel/data_parallel.ts";
import { holdOneBlasThread } from "./_blas_threads.ts";
import { pipeline } from "./pipeline.ts";
import { mergeTrainingState, ownedState, stageOwns, stateProblem, trainingStateOf } from "./_training_state.ts";
import { data, spec, weights } from "../tests/_pipeline_fixture.ts";

type Net = ReturnType<typeof buildNetwork>;
const options = { batchSize: 32, seed: 3 };

// Two epochs straight through with `strategy`, and one epoch, a checkpoint saved and loaded, then one more.
async function straightAndSplit(make: () => Net, strategy: () => Strategy): Promise<[Net, Net]> {
  const straight = make();
  await train(straight, data, { ...options, epochs: 2, strategy: strategy() });
  const first = make();
  await train(first, data, { ...options, epochs: 1, strategy: strategy() });
  const dir = `${await Deno.makeTempDir()}/ckpt`;
  await saveCheckpoint(first, dir);
  first.dispose();
  const resumed = await loadCheckpoint(dir);
  await Deno.remove(dir, { recursive: true });
  await train(resumed, data, { ...options, epochs: 1, initialEpoch: resumed.epochs, strategy: strategy() });
  return [straight, resumed];
}

const counters = (net: Net) => networkOptimizerState(net).counters;
const moments = (net: Net) => networkOptimizerState(net).arrays.map((a) => [...a.values]);

Deno.test("a pipeline run split by a checkpoint equals the run straight through and one thread's (staleness 0, Adam)", async () => {
  const [straight, resumed] = await straightAndSplit(
    () => buildNetwork(spec),
    () => pipeline({ workers: 2, staleness: 0 }),
  );
  const single = buildNetwork(spec);
  const release = holdOneBlasThread(); // as each Worker runs (see pipeline_test.ts)
  try {
    await train(single, data, { ...options, epochs: 2 });
  } finally {
    release();
  }
  assert.deepEqual(weights(resumed), weights(straight), "every weight, synthesizers included");
  assert.deepEqual(weights(straight), weights(single));
  // The optimizer state came back from the Workers: each layer's and synthesizer's Adam moments and step counts.
  assert.deepEqual(counters(straight), counters(single));
  assert.equal(counters(straight)["interfaces[1].synthesizer.optimizer.steps"], 16);
  assert.deepEqual(moments(resumed), moments(single));
  for (const n of [straight, resumed, single]) n.dispose();
});

Deno.test("data-parallel replicas start from the optimizer state and give it back: a split run equals a straight one", async () => {
  const bp: NetworkSpec = {
    input: [40],
    layers: [{ type: "dense", units: 12, activation: "tanh" }, { type: "dense", units: 4 }],
    optimizer: { type: "adam", learningRate: 0.01 },
  };
  const [straight, resumed] = await straightAndSplit(() => buildNetwork(bp), () => dataParallel({ workers: 2 }));
  assert.deepEqual(weights(resumed), weights(straight));
  assert.deepEqual(counters(resumed), counters(straight));
  assert.equal(counters(straight)["layers[0].optimizer.steps"], 16);
  straight.dispose();
  resumed.dispose();
});

Deno.test("a stage's training state is checked name by name before any of it is set", () => {
  const net = buildNetwork(spec);
  const full = trainingStateOf(net);
  assert.ok(typeof full === "object");
  const owns = stageOwns(net, 2, 3);
  const part = ownedState(full, owns);
  assert.deepEqual(
    [...new Set(part.arrays.map((a) => /^\w+\[\d+\]/.exec(a.name)![0]))],
    ["layers[2]", "layers[3]", "interfaces[2]"],
    "the upper stage trains layers 2-3 and the interface on layer 2's output",
  );
  assert.equal(stateProblem(part, net, full, owns), undefined);
  const first = part.arrays[0]!;
  const cases: [unknown, RegExp][] = [
    [null, /is null, not \{ arrays, counters \}/],
    [{ ...part, arrays: part.arrays.slice(1) }, new RegExp(`lacks ${first.name.replace(/[[\].]/g, "\\$&")}`)],
    [
      { ...part, arrays: [{ ...first, values: new Float32Array(1), shape: [1] }, ...part.arrays.slice(1)] },
      /expected Float32Array\(\d+\)/,
    ],
    [
      { ...part, arrays: [...part.arrays, full.arrays[0]] },
      /has layers\[0\]\.optimizer\.kernel\.m, which the stage does not train/,
    ],
    [
      { ...part, counters: { ...part.counters, "layers[2].optimizer.steps": "9" } },
      /counter layers\[2\]\.optimizer\.steps is "9"/,
    ],
    [
      { ...part, counters: { ...part.counters, "layers[0].optimizer.steps": 1 } },
      /counter layers\[0\]\.optimizer\.steps, which/,
    ],
  ];
  for (const [sent, pattern] of cases) assert.match(stateProblem(sent, net, full, owns) ?? "", pattern);
  // Merging sets the parts and keeps the rest.
  part.counters["layers[2].optimizer.steps"] = 7;
  mergeTrainingState(net, [part], full);
  assert.equal(networkOptimizerState(net).counters["layers[2].optimizer.steps"], 7);
  assert.equal(networkOptimizerState(net).counters["layers[0].optimizer.steps"], 0);
  net.dispose();
});
