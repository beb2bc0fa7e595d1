import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import {
  buildNetwork,
  createRegistries,
  type DecouplingInterface,
  DivergenceError,
  evaluate,
  type InterfaceConfig,
  type NetworkSpec,
  type NeuralInterface,
  type Strategy,
  syntheticDataset,
  train,
} from "../mod.ts";
import { batchTensors } from "../training/evaluate.ts";
import { batches } from "../datasets/dataset.ts";

const data = syntheticDataset({ features: 20, classes: 4, trainCount: 512, testCount: 256, seed: 3 });
const spec = (optimizer: NetworkSpec["optimizer"] = { type: "adam", learningRate: 0.01 }): NetworkSpec => ({
  input: [20],
  layers: [
    { type: "dense", units: 32, activation: "relu" },
    { type: "dense", units: 32, activation: "tanh", batchNorm: true },
    { type: "dense", units: 4 },
  ],
  loss: "softmax-cross-entropy",
  optimizer,
});

Deno.test("train() learns a synthetic task well above chance and records each epoch", async () => {
  const net = buildNetwork(spec());
  const before = evaluate(net, data.test).accuracy;
  const history = await train(net, data, { epochs: 5, batchSize: 32, seed: 1 });
  assert.equal(history.epochs.length, 5);
  const last = history.epochs[4]!;
  assert.ok(last.testAccuracy! > 0.85, `test accuracy ${last.testAccuracy} after 5 epochs (was ${before})`);
  assert.ok(history.epochs[0]!.loss > last.loss, "training loss falls");
  for (const r of history.epochs) {
    assert.ok(r.seconds > 0 && r.samplesPerSecond > 0 && r.accuracy >= 0 && r.accuracy <= 1);
  }
  net.dispose();
});

Deno.test("train() with the same seed gives the same weights and losses", async () => {
  const run = async () => {
    const net = buildNetwork(spec(), { seed: 5 });
    const h = await train(net, data, { epochs: 2, batchSize: 64, seed: 9, validate: false });
    const w = net.layers[0]!.trainable[0]!.dataSync().slice();
    net.dispose();
    return { losses: h.epochs.map((e) => e.loss), w };
  };
  const a = await run(), b = await run();
  assert.deepEqual(a.losses, b.losses);
  assert.deepEqual(a.w, b.w);
});

Deno.test("Network.trainStep() leaks no tensors across steps", () => {
  for (const optimizer of ["sgd", "momentum", "adam", "rmsprop"]) {
    const net = buildNetwork(spec(optimizer));
    const counts: number[] = [];
    let step = 0;
    for (const batch of batches(data.train, 20, 16, 0)) {
      const { x, labels } = batchTensors(batch, 20, 4);
      net.trainStep(x, labels);
      tf.dispose([x, labels]);
      counts.push(tf.memory().numTensors);
      if (++step === 12) break;
    }
    // Optimizer slots appear on the first step; after that the count must stay flat.
    assert.deepEqual(counts.slice(1), counts.slice(1).map(() => counts[1]), `${optimizer}: ${counts}`);
    const afterTrain = tf.memory().numTensors;
    evaluate(net, data.test);
    assert.equal(tf.memory().numTensors, afterTrain, "evaluate() leaks no tensors");
    net.dispose();
  }
});

Deno.test("Network.dispose() frees every variable and optimizer slot", async () => {
  const start = tf.memory().numTensors;
  const net = buildNetwork(spec());
  await train(net, data, { epochs: 1, batchSize: 64, validate: false });
  net.dispose();
  assert.equal(tf.memory().numTensors, start);
});

Deno.test("train() rejects a dataset that does not fit the network, and bad options", async () => {
  const net = buildNetwork(spec());
  const wide = syntheticDataset({ features: 21, classes: 4, trainCount: 8, testCount: 8 });
  const five = syntheticDataset({ features: 20, classes: 5, trainCount: 8, testCount: 8 });
  await assert.rejects(() => train(net, wide), /has 21 features per example, the network takes 20/);
  await assert.rejects(() => train(net, five), /has 5 classes, the network's output layer has 4 units/);
  await assert.rejects(() => train(net, data, { epochs: 0 }), /epochs must be an integer >= 1, got 0/);
  await assert.rejects(() => train(net, data, { batchSize: 0 }), /batchSize must be an integer >= 1, got 0/);
  net.dispose();
});

// A minimal interface that answers at once with a zero gradient: the layers below it must not move (SGD), the
// layers above must, and it must receive the true message of the layer above.
class ZeroInterface implements DecouplingInterface {
  readonly type = "zero";
  readonly decouples = true;
  readonly variables = [];
  messages = 0;
  send(trigger: tf.Tensor) {
    return this.synthesize(trigger);
  }
  receive(message: tf.Tensor, trigger: tf.Tensor) {
    assert.deepEqual(message.shape, trigger.shape);
    this.messages++;
  }
  release() {}
  synthesize(trigger: tf.Tensor) {
    return tf.zerosLike(trigger);
  }
  getConfig(): InterfaceConfig {
    return { type: "zero" };
  }
  dispose() {}
}

Deno.test("an interface that answers in send() updates its layer at once and still receives the message", async () => {
  const registries = createRegistries();
  const zero = new ZeroInterface();
  registries.interfaces.register("zero", () => zero);
  const s = spec("sgd");
  s.layers[0]!.interface = "zero";
  const net = buildNetwork(s, { registries });
  const w0 = net.layers[0]!.trainable[0]!.dataSync().slice();
  const w1 = net.layers[1]!.trainable[0]!.dataSync().slice();
  await train(net, data, { epochs: 1, batchSize: 64, validate: false });
  assert.deepEqual(net.layers[0]!.trainable[0]!.dataSync(), w0, "layer 0 got a zero gradient");
  assert.notDeepEqual(net.layers[1]!.trainable[0]!.dataSync(), w1, "layer 1 got the true gradient");
  assert.equal(zero.messages, 8, "one message per step (512 / 64)");
  net.dispose();
});

Deno.test("Network.trainStep() names an interface that returns a wrong shape or no gradient", async () => {
  const wrong = () => tf.zeros([2, 2]);
  for (
    const [name, iface] of [
      ["wrong", { decouples: true, send: wrong, synthesize: wrong, receive() {}, release() {} }],
      ["silent", { decouples: false, backward: () => undefined }],
    ] as const
  ) {
    const registries = createRegistries();
    registries.interfaces.register(name, () =>
      ({
        type: name,
        variables: [],
        getConfig: () => ({ type: name }),
        dispose() {},
        ...iface,
      }) as unknown as NeuralInterface);
    const s = spec();
    s.layers[1]!.interface = name;
    const net = buildNetwork(s, { registries });
    const pattern = name === "wrong"
      ? /Interface "wrong" of layer 1 returned a gradient of shape \[2, 2\] from send\(\), expected a tensor of shape \[64, 32\]/
      : /Interface "silent" of layer 1 returned undefined from backward\(\)/;
    await assert.rejects(() => train(net, data, { epochs: 1, batchSize: 64, validate: false }), pattern);
    net.dispose();
  }
});

Deno.test("train() stops with a DivergenceError naming the epoch and batch when the loss is NaN", async () => {
  const net = buildNetwork(spec({ type: "sgd", learningRate: 1e30 }));
  await assert.rejects(
    () => train(net, data, { epochs: 2, batchSize: 32 }),
    (e: Error) =>
      e instanceof DivergenceError &&
      /Training diverged: the loss is (NaN|Infinity) at epoch 1, batch \d+/.test(e.message),
  );
  net.dispose();
});

Deno.test("train() returns a Promise of the History in every mode, and rejects bad options through it", async () => {
  const net = buildNetwork(spec("sgd"));
  const promise = train(net, data, { epochs: 1, batchSize: 128, validate: false });
  assert.ok(promise instanceof Promise);
  assert.equal((await promise).epochs.length, 1);
  const rejected = train(net, data, { epochs: 0 });
  assert.ok(rejected instanceof Promise, "even a bad option gives a Promise (rejected), not a throw");
  await assert.rejects(rejected, /epochs must be an integer >= 1, got 0/);
  await assert.rejects(
    () => train(net, data, { strategy: {} as never }),
    /^TypeError: strategy must be a Strategy \(start, epoch, stop\)/,
  );
  assert.equal(net.onNonFinite, "error");
  net.dispose();
});

Deno.test("train() places a DivergenceError from a strategy at its epoch and batch from its step", async () => {
  const net = buildNetwork(spec("sgd"));
  net.steps = 10; // a network trained before: its steps go on from 10
  const failing: Strategy = {
    name: "failing",
    start: () => Promise.resolve(),
    epoch: (batches, onBatch) => {
      for (const b of batches) {
        if (net.steps === 13) {
          return Promise.reject(new DivergenceError("the loss", NaN, undefined, undefined, { step: 13 }));
        }
        onBatch({ loss: 1, correct: 0, size: "size" in b ? b.size : b.sequences.size });
        net.steps++;
      }
      return Promise.resolve({ diagnostics: [], skippedUpdates: 0 });
    },
    stop: () => Promise.resolve(),
  };
  await assert.rejects(
    () => train(net, data, { epochs: 2, batchSize: 64, validate: false, strategy: failing }),
    (e: Error) => e instanceof DivergenceError && e.epoch === 1 && e.batch === 4 && e.site.step === 13,
  );
  net.dispose();
});
