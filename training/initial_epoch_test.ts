import assert from "node:assert/strict";
import { buildNetwork } from "../network/build.ts";
import { syntheticDataset } from "../datasets/synthetic.ts";
import { train } from "./train.ts";

const spec = {
  input: [8],
  layers: [{ type: "dense", units: 16, activation: "relu", interface: "sg" }, { type: "dense", units: 3 }],
};
const data = syntheticDataset({ features: 8, classes: 3, trainCount: 128, testCount: 32, seed: 4 });
const options = { batchSize: 32, seed: 3 };
const weights = (net: ReturnType<typeof buildNetwork>) => net.variables.map((v) => [...v.dataSync()]);

Deno.test("train() with initialEpoch numbers its epochs on and trains them as an uninterrupted run does", async () => {
  const steady = buildNetwork(spec);
  const whole = await train(steady, data, { ...options, epochs: 3 });
  assert.deepEqual(whole.epochs.map((e) => e.epoch), [1, 2, 3]);
  assert.equal(steady.epochs, 3, "network.epochs is the last epoch completed");

  const split = buildNetwork(spec);
  const first = await train(split, data, { ...options, epochs: 1 });
  assert.equal(split.epochs, 1);
  const batchEpochs = new Set<number>();
  const rest = await train(split, data, {
    ...options,
    epochs: 2,
    initialEpoch: split.epochs,
    callbacks: { onBatchEnd: (b) => batchEpochs.add(b.epoch) },
  });
  assert.deepEqual(rest.epochs.map((e) => e.epoch), [2, 3], "--epochs 2 means two more epochs");
  assert.deepEqual([...batchEpochs], [2, 3]);
  assert.equal(split.epochs, 3);
  assert.deepEqual(
    [...first.epochs, ...rest.epochs].map((e) => e.loss),
    whole.epochs.map((e) => e.loss),
    "the same batches in the same order: epoch e shuffles with seed + e",
  );
  assert.deepEqual(weights(split), weights(steady));
  for (const n of [steady, split]) n.dispose();
});

Deno.test("train() without initialEpoch numbers from 1, and network.epochs follows that numbering", async () => {
  const net = buildNetwork(spec);
  net.epochs = 5;
  const history = await train(net, data, { ...options, epochs: 1 });
  assert.equal(history.epochs[0]!.epoch, 1);
  assert.equal(net.epochs, 1, "the number of the last epoch completed, as the history numbers it");
  net.dispose();
});

Deno.test("bestEpoch and early stopping count in the continued numbering", async () => {
  const net = buildNetwork(spec);
  const history = await train(net, data, {
    ...options,
    epochs: 40,
    initialEpoch: 10,
    validationSplit: 0.25,
    patience: 2,
  });
  const numbers = history.epochs.map((e) => e.epoch);
  assert.equal(numbers[0], 11);
  assert.ok(history.bestEpoch! >= 11 && numbers.includes(history.bestEpoch!));
  assert.ok(numbers.length < 40, "it stopped early");
  assert.equal(numbers.at(-1)! - history.bestEpoch!, 2, "it ran exactly `patience` epochs past the best one");
  assert.equal(net.epochs, numbers.at(-1));
  net.dispose();
});

Deno.test("a bad initialEpoch is a RangeError naming the value, and network.epochs takes no bad value", async () => {
  const net = buildNetwork(spec);
  for (const bad of [-1, 1.5, NaN]) {
    await assert.rejects(
      () => train(net, data, { initialEpoch: bad }),
      new RegExp(`^RangeError: initialEpoch must be an integer >= 0, got ${bad}$`),
    );
  }
  assert.throws(() => net.epochs = -2, /^RangeError: epochs must be an integer >= 0, got -2$/);
  assert.equal(net.epochs, 0);
  net.dispose();
});
