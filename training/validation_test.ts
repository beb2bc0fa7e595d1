import assert from "node:assert/strict";
import { buildNetwork } from "../network/build.ts";
import { syntheticDataset } from "../datasets/synthetic.ts";
import { holdOutValidation } from "../datasets/validation.ts";
import { oneThread } from "../execution/one_thread.ts";
import type { Strategy } from "../execution/strategy.ts";
import type { Batch } from "../datasets/dataset.ts";
import { train } from "./train.ts";

const spec = {
  input: [8],
  layers: [{ type: "dense", units: 16, activation: "relu" }, { type: "dense", units: 3 }],
};

// oneThread(), recording every batch it trains on.
function recording(seen: Batch[]): Strategy {
  const inner = oneThread();
  return {
    name: "recording",
    start: (network, run) => inner.start(network, run),
    epoch: (batches, onBatch) => {
      const copy: Batch[] = [];
      for (const b of batches) copy.push(b as Batch);
      seen.push(...copy);
      return inner.epoch(copy, onBatch);
    },
    stop: () => inner.stop(),
  };
}

Deno.test("validationSplit holds the last examples out of training and picks the best epoch on them, not on the test set", async () => {
  const data = syntheticDataset({ features: 8, classes: 3, trainCount: 200, testCount: 50, seed: 5 });
  // Mark the examples that must be held out: the last 20% of the training split.
  for (let i = 160; i < 200; i++) data.train.x[i * 8] = 1000 + i;
  const seen: Batch[] = [];
  const net = buildNetwork(spec);
  // validate: false: the test split is never evaluated, so it cannot take part in choosing the best epoch.
  const history = await train(net, data, {
    epochs: 4,
    batchSize: 32,
    validationSplit: 0.2,
    validate: false,
    strategy: recording(seen),
  });
  const trained = seen.reduce((n, b) => n + b.size, 0);
  assert.equal(trained, 4 * 160, "every epoch trains on the first 160 examples only");
  for (const b of seen) {
    for (let r = 0; r < b.size; r++) assert.ok(b.x[r * 8]! < 1000, "a validation example reached training");
  }
  const accuracies = history.epochs.map((e) => e.validationAccuracy!);
  assert.ok(accuracies.every((a) => a >= 0 && a <= 1));
  assert.ok(history.epochs.every((e) => e.testAccuracy === undefined));
  assert.equal(history.bestEpoch, accuracies.indexOf(Math.max(...accuracies)) + 1);
  net.dispose();
});

Deno.test("without validationSplit there is no validation and no best epoch", async () => {
  const data = syntheticDataset({ features: 8, classes: 3, trainCount: 64, testCount: 16 });
  const net = buildNetwork(spec);
  const history = await train(net, data, { epochs: 1, batchSize: 32 });
  assert.equal(history.bestEpoch, undefined);
  assert.equal(history.epochs[0]!.validationAccuracy, undefined);
  net.dispose();
});

Deno.test("a bad validationSplit is a RangeError naming the value", async () => {
  const data = syntheticDataset({ features: 8, classes: 3, trainCount: 64, testCount: 16 });
  const net = buildNetwork(spec);
  for (const bad of [0, 1, -0.1, 1.5, NaN]) {
    await assert.rejects(
      () => train(net, data, { validationSplit: bad }),
      /validationSplit must be a number in \(0, 1\)/,
    );
  }
  assert.throws(
    () => holdOutValidation({ x: new Float32Array(2), labels: new Uint8Array(2), count: 2 }, 1, 0.1),
    /leaves 2 to train on and 0 to validate on/,
  );
  net.dispose();
});

Deno.test("patience stops training once the validation accuracy stops improving", async () => {
  const data = syntheticDataset({ features: 8, classes: 3, trainCount: 200, testCount: 50, seed: 6 });
  const net = buildNetwork(spec);
  const history = await train(net, data, { epochs: 60, batchSize: 32, validationSplit: 0.2, patience: 2 });
  const n = history.epochs.length;
  assert.ok(n < 60, "it stopped early");
  const accuracies = history.epochs.map((e) => e.validationAccuracy!);
  const best = Math.max(...accuracies);
  assert.equal(history.bestEpoch, accuracies.indexOf(best) + 1);
  assert.equal(n - history.bestEpoch!, 2, "it ran exactly `patience` epochs past the best one");
  await assert.rejects(() => train(net, data, { patience: 2 }), /patience \(early stopping\) needs a validationSplit/);
  net.dispose();
});
