// The divergence guard in training: a NaN or an infinity in the loss, a weight gradient or a synthetic gradient
// stops training with an error naming it, the layer or interface and the step, before any update uses it; with
// onNonFinite "skip" those updates are left out and counted instead.
import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import {
  buildNetwork,
  createRegistries,
  dataParallel,
  DivergenceError,
  type Network,
  type NetworkSpec,
  type NeuralInterface,
  pipeline,
  syntheticDataset,
  train,
} from "../mod.ts";

const data = syntheticDataset({ features: 8, classes: 3, trainCount: 96, testCount: 32, seed: 4 });

// A decoupling interface that answers in send() with a gradient that is NaN on the steps in `bad` (zero otherwise),
// or, with `waits`, a coupled one whose backward() gives the message times Infinity on those steps.
function poisoned(bad: (step: number) => boolean, waits = false): NeuralInterface {
  const base = { variables: [], dispose() {} };
  if (waits) {
    return {
      ...base,
      type: "poisoned-backprop",
      decouples: false,
      backward: (message, _trigger, { step }) => bad(step) ? tf.mul(message, Infinity) : message,
      getConfig: () => ({ type: "poisoned-backprop" }),
    };
  }
  const synthesize = (trigger: tf.Tensor, { step }: { step: number }) =>
    bad(step) ? tf.fill(trigger.shape, NaN) : tf.zerosLike(trigger);
  return {
    ...base,
    type: "poisoned-sg",
    decouples: true,
    send: synthesize,
    synthesize,
    receive() {},
    release() {},
    getConfig: () => ({ type: "poisoned-sg" }),
  };
}

function network(iface: NeuralInterface, optimizer: NetworkSpec["optimizer"] = "sgd"): Network {
  const registries = createRegistries();
  registries.interfaces.register(iface.type, () => iface);
  return buildNetwork({
    input: [8],
    layers: [
      { type: "dense", units: 6, activation: "tanh" },
      { type: "dense", units: 6, activation: "tanh", interface: iface.type },
      { type: "dense", units: 3 },
    ],
    optimizer,
  }, { registries });
}

const weights = (net: Network) => net.variables.map((v) => Array.from(v.dataSync()));

function divergence(pattern: RegExp, site: Record<string, unknown>) {
  return (e: Error) => {
    assert.ok(e instanceof DivergenceError, `expected a DivergenceError, got ${e}`);
    assert.match(e.message, pattern);
    for (const [key, value] of Object.entries(site)) assert.equal((e.site as Record<string, unknown>)[key], value, key);
    return true;
  };
}

Deno.test("a NaN synthetic gradient stops training naming the interface, its layer, the step, epoch and batch", async () => {
  const net = network(poisoned((step) => step === 2));
  let before: number[][] = [];
  await assert.rejects(
    () =>
      train(net, data, {
        epochs: 1,
        batchSize: 16,
        validate: false,
        callbacks: { onBatchEnd: (b) => b.batch === 2 && (before = weights(net)) },
      }),
    divergence(
      /^Training diverged: element 0 of the synthetic gradient of interface "poisoned-sg" of layer 1 is NaN at epoch 1, batch 3 \(step 2\)/,
      { step: 2, layer: 1, interface: "poisoned-sg" },
    ),
  );
  // The step stopped at the synthetic gradient: layers 0 and 1 did not update with it, nor did the layer above.
  const after = weights(net);
  assert.deepEqual(after, before, "no update used the NaN");
  for (const w of after) assert.ok(w.every(Number.isFinite), "every weight is still finite");
  net.dispose();
});

Deno.test("an infinite gradient stops training naming the layer's weight gradient and the step", async () => {
  const net = network(poisoned((step) => step === 1, true));
  await assert.rejects(
    () => train(net, data, { epochs: 1, batchSize: 16, validate: false }),
    divergence(
      /^Training diverged: element \d+ of the weight gradient of layer 1 \(dense, trainable\[0\]\) is (NaN|-?Infinity) at epoch 1, batch 2 \(step 1\)/,
      { step: 1, layer: 1 },
    ),
  );
  for (const w of weights(net)) assert.ok(w.every(Number.isFinite), "every weight is still finite");
  net.dispose();
});

Deno.test("a NaN loss stops training, naming the epoch, batch and step", async () => {
  const net = buildNetwork({
    input: [8],
    layers: [{ type: "dense", units: 16, activation: "relu" }, { type: "dense", units: 3 }],
    optimizer: { type: "sgd", learningRate: 1e30 },
  });
  await assert.rejects(
    () => train(net, data, { epochs: 3, batchSize: 16, validate: false }),
    (e: Error) =>
      e instanceof DivergenceError && e.epoch === 1 && e.site.step === e.batch! - 1 &&
      /^Training diverged: (the loss|element \d+ of the .* of layer \d.*) is (NaN|-?Infinity) at epoch 1, batch \d+ \(step \d+\)/
        .test(e.message),
  );
  net.dispose();
});

Deno.test("onNonFinite skip leaves out the poisoned updates, counts them per epoch, and keeps training", async () => {
  const bad = (step: number) => step % 3 === 0;
  const net = network(poisoned(bad));
  const start = tf.memory().numTensors;
  const history = await train(net, data, { epochs: 2, batchSize: 16, onNonFinite: "skip", probeSize: 0 });
  // 6 steps per epoch, steps 0, 3 (epoch 1) and 6, 9 (epoch 2) poisoned: each skips layers 0 and 1.
  assert.deepEqual(history.epochs.map((e) => e.skippedUpdates), [4, 4]);
  assert.equal(net.skippedUpdates, 8);
  assert.equal(net.onNonFinite, "error", "the network's own policy is restored after train()");
  for (const e of history.epochs) assert.ok(Number.isFinite(e.loss) && e.testAccuracy! >= 0);
  for (const w of weights(net)) assert.ok(w.every(Number.isFinite));
  assert.equal(tf.memory().numTensors, start, "no tensor leaked by the skipped updates");
  net.dispose();
});

Deno.test("onNonFinite skip on a waiting interface skips the layer and the ones below it", () => {
  const net = network(poisoned((step) => step === 0, true));
  const w0 = weights(net);
  net.onNonFinite = "skip";
  const x = tf.randomUniform([4, 8], -1, 1, "float32", 1) as tf.Tensor2D;
  const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 0], "int32"), 3).toFloat() as tf.Tensor2D;
  net.trainStep(x, labels);
  const w1 = weights(net);
  // Layer 2 (the output layer) updated; layer 1 got an infinite gradient: it and layer 0 below it did not.
  assert.deepEqual(w1.slice(0, 4), w0.slice(0, 4));
  assert.notDeepEqual(w1.slice(4), w0.slice(4));
  assert.equal(net.skippedUpdates, 2);
  assert.throws(() => net.onNonFinite = "ignore" as "skip", /onNonFinite must be "error" or "skip", got "ignore"/);
  tf.dispose([x, labels]);
  net.dispose();
});

Deno.test("train() rejects an unknown onNonFinite", async () => {
  const net = network(poisoned(() => false));
  await assert.rejects(
    () => train(net, data, { onNonFinite: "warn" as "skip" }),
    /onNonFinite must be "error" or "skip"/,
  );
  net.dispose();
});

Deno.test("Network.applyGradients() checks each layer's gradients too", () => {
  const net = network(poisoned(() => false, true));
  const gradients = net.layers.map((l, j) => l.trainable.map((v) => j === 1 ? tf.fill(v.shape, NaN) : tf.zerosLike(v)));
  assert.throws(
    () => net.applyGradients(gradients),
    divergence(/element 0 of the weight gradient of layer 1 \(dense, trainable\[0\]\) is NaN at step 0/, { layer: 1 }),
  );
  tf.dispose(gradients.flat());
  net.dispose();
});

const decoupled: NetworkSpec = {
  input: [8],
  layers: [
    { type: "dense", units: 8, activation: "relu", interface: "csg" },
    { type: "dense", units: 8, activation: "relu", interface: "csg" },
    { type: "dense", units: 3 },
  ],
  optimizer: { type: "sgd", learningRate: 1e30 },
};

Deno.test("a divergence inside a pipeline Worker is the same DivergenceError, placed at its epoch and batch", async () => {
  const net = buildNetwork(decoupled);
  let batches = 0;
  await assert.rejects(
    () =>
      train(net, data, {
        epochs: 2,
        batchSize: 16,
        strategy: pipeline({ workers: 2 }),
        callbacks: { onBatchEnd: () => batches++ },
      }),
    (e: Error) => {
      assert.ok(e instanceof DivergenceError, `expected a DivergenceError, got ${e}`);
      assert.match(
        e.message,
        /^Training diverged: .* is (NaN|-?Infinity) at epoch 1, batch \d+ \(step \d+\)/,
      );
      assert.equal(e.epoch, 1);
      assert.equal(e.batch, e.site.step! + 1, "a fresh network: batch k is step k - 1");
      assert.ok(e.site.layer !== undefined, "the site names the layer");
      assert.ok(e.batch! > batches, `the batch that diverged (${e.batch}) is past those reported (${batches})`);
      return true;
    },
  );
  const skipped = await train(net, data, {
    epochs: 2,
    batchSize: 16,
    strategy: pipeline({ workers: 2 }),
    onNonFinite: "skip",
  });
  assert.ok(skipped.epochs.every((e) => typeof e.skippedUpdates === "number"));
  assert.ok(skipped.epochs[1]!.skippedUpdates! > 0, `skipped ${skipped.epochs.map((e) => e.skippedUpdates)}`);
  net.dispose();
});

Deno.test("data-parallel training stops on a NaN, or skips the step on every replica", async () => {
  const spec = { ...decoupled, layers: decoupled.layers.map(({ interface: _, ...l }) => l) };
  const net = buildNetwork(spec);
  await assert.rejects(
    () => train(net, data, { epochs: 2, batchSize: 16, strategy: dataParallel({ workers: 2 }) }),
    (e: Error) =>
      e instanceof DivergenceError && e.epoch === 1 && e.batch === e.site.step! + 1 &&
      /Training diverged: .* is (NaN|-?Infinity) at epoch 1, batch \d+/.test(e.message),
  );
  const skipped = await train(net, data, {
    epochs: 1,
    batchSize: 16,
    strategy: dataParallel({ workers: 2 }),
    onNonFinite: "skip",
  });
  assert.ok(skipped.epochs[0]!.skippedUpdates! > 0);
  net.dispose();
});
