import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { buildNetwork } from "../network/build.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { data, specWith, tempDir, values } from "../tests/_checkpoint_helpers.ts";
import { train } from "../training/train.ts";
import { networkOptimizerState } from "./contents.ts";
import { loadCheckpoint } from "./load.ts";
import { saveCheckpoint } from "./save.ts";

const cases: [string, NetworkSpec][] = [
  ["backprop, adam", specWith("backprop")],
  [
    "csg with a batch-normed synthesizer on rmsprop, network on adam",
    specWith({ type: "csg", hidden: [8], batchNorm: true, optimizer: "rmsprop" }),
  ],
  ["sg with stochastic updates, network on momentum", specWith({ type: "sg", updateProbability: 0.5 }, "momentum")],
];

const options = { batchSize: 32 };

for (const [name, spec] of cases) {
  Deno.test(`training resumed from a checkpoint with optimizer state equals training without stopping (${name})`, async () => {
    const before = tf.memory().numTensors;
    const dir = await tempDir();
    // Two epochs in one go (epoch e shuffles with seed + e) ...
    const steady = buildNetwork(spec);
    const whole = await train(steady, data, { ...options, epochs: 2, seed: 5 });
    // ... against one epoch, a checkpoint, and the second epoch in a network loaded from it, numbered on.
    const first = buildNetwork(spec);
    await train(first, data, { ...options, epochs: 1, seed: 5 });
    await saveCheckpoint(first, `${dir}/ckpt`);
    first.dispose();
    const resumed = await loadCheckpoint(`${dir}/ckpt`);
    assert.deepEqual([resumed.steps, resumed.epochs], [8, 1]);
    const rest = await train(resumed, data, { ...options, epochs: 1, seed: 5, initialEpoch: resumed.epochs });
    assert.deepEqual(rest.epochs.map((e) => e.epoch), [2]);
    assert.equal(rest.epochs[0]!.loss, whole.epochs[1]!.loss, "the second epoch's batches, in its order");
    assert.equal(resumed.epochs, 2);
    assert.equal(resumed.steps, steady.steps);
    assert.deepEqual(values(resumed), values(steady), "every weight, synthesizers included, bit for bit");
    const [a, b] = [networkOptimizerState(resumed), networkOptimizerState(steady)];
    assert.deepEqual(a.counters, b.counters);
    assert.deepEqual(a.arrays, b.arrays);
    // The state matters: resuming without it gives other weights.
    const cold = await loadCheckpoint(`${dir}/ckpt`, { optimizerState: false });
    await train(cold, data, { ...options, epochs: 1, seed: 5, initialEpoch: cold.epochs });
    assert.notDeepEqual(values(cold), values(steady));
    for (const n of [steady, resumed, cold]) n.dispose();
    assert.equal(tf.memory().numTensors, before, "no tensor leaks");
    await Deno.remove(dir, { recursive: true });
  });
}

Deno.test("a checkpoint saved before epochs were recorded loads as 0 epochs; a saved one records network.epochs", async () => {
  const dir = await tempDir();
  const net = buildNetwork(specWith("sg"));
  await train(net, data, { ...options, epochs: 2, seed: 1 });
  await saveCheckpoint(net, `${dir}/ckpt`);
  const manifest = JSON.parse(await Deno.readTextFile(`${dir}/ckpt/manifest.json`));
  assert.equal(manifest.epochs, 2);
  // What an earlier dni wrote: no "epochs" field (the manifest has no checksum of its own).
  delete manifest.epochs;
  await Deno.writeTextFile(`${dir}/ckpt/manifest.json`, JSON.stringify(manifest, null, 2));
  const old = await loadCheckpoint(`${dir}/ckpt`);
  assert.deepEqual([old.steps, old.epochs], [16, 0]);
  assert.deepEqual(values(old), values(net));
  const history = await train(old, data, { ...options, epochs: 1, seed: 1, initialEpoch: old.epochs });
  assert.equal(history.epochs[0]!.epoch, 1);
  for (const n of [net, old]) n.dispose();
  await Deno.remove(dir, { recursive: true });
});
