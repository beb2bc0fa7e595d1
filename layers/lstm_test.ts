import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { Random } from "../random.ts";
import { SpecError } from "../errors.ts";
import { assertClose } from "../tests/_helpers.ts";
import { buildNetwork } from "../network/build.ts";
import { Lstm } from "./lstm.ts";

function lstm(units: number, inputShape: [number, number], returnSequences: boolean, seed = 1): Lstm {
  return new Lstm({ type: "lstm", units, returnSequences }, {
    inputShape,
    path: "layers[0]",
    random: new Random(seed),
  });
}

function sequence(batch: number, time: number, features: number, seed: number): tf.Tensor3D {
  const r = new Random(seed), values = new Float32Array(batch * time * features);
  for (let k = 0; k < values.length; k++) values[k] = 2 * r.next() - 1;
  return tf.tensor3d(values, [batch, time, features]);
}

// A fixed readout of the output, so every output element gets its own gradient.
function readout(output: tf.Tensor, seed: number): tf.Tensor {
  return tf.tidy(() => {
    const r = new Random(seed), w = new Float32Array(output.size);
    for (let k = 0; k < w.length; k++) w[k] = 2 * r.next() - 1;
    return tf.tensor(w, output.shape);
  });
}

for (const returnSequences of [false, true]) {
  Deno.test(`Lstm.backward() matches TF.js autodiff (returnSequences ${returnSequences})`, async () => {
    const before = tf.getBackend();
    await tf.setBackend("cpu");
    try {
      const layer = lstm(5, [6, 3], returnSequences);
      const x = sequence(4, 6, 3, 2);
      const w = readout(layer.forward(x, "eval").output, 3);
      const ours = tf.tidy(() => {
        const { cache } = layer.forward(x, "train");
        const r = layer.backward(cache, w, true);
        return [...r.gradients, r.inputGradient!].map((t) => t.dataSync().slice());
      });
      const f = (input: tf.Tensor) => tf.sum(tf.mul(layer.forward(input, "eval").output, w)) as tf.Scalar;
      const { grads } = tf.variableGrads(() => f(x), [...layer.trainable]);
      const dx = tf.grad(f)(x);
      layer.trainable.forEach((v, k) =>
        assertClose(ours[k]!, grads[v.name]!.dataSync(), { atol: 1e-6, rtol: 1e-4, what: layer.variableNames[k]! })
      );
      assertClose(ours[3]!, dx.dataSync(), { atol: 1e-6, rtol: 1e-4, what: "input gradient" });
      tf.dispose([x, w, dx, ...Object.values(grads)]);
      layer.dispose();
    } finally {
      await tf.setBackend(before);
    }
  });
}

Deno.test("Lstm.backward() matches finite differences", () => {
  const layer = lstm(3, [4, 2], true, 5);
  const x = sequence(2, 4, 2, 6);
  const w = readout(layer.forward(x, "eval").output, 7);
  const lossOf = () => tf.tidy(() => tf.sum(tf.mul(layer.forward(x, "eval").output, w)).dataSync()[0]!);
  const ours = tf.tidy(() => {
    const { cache } = layer.forward(x, "train");
    return layer.backward(cache, w, false).gradients.map((t) => t.dataSync().slice());
  });
  const eps = 1e-2;
  layer.trainable.forEach((v, k) => {
    const values = v.dataSync().slice();
    for (const at of [0, Math.floor(values.length / 2), values.length - 1]) {
      const probe = (delta: number) => {
        const moved = values.slice();
        moved[at] = moved[at]! + delta;
        tf.tidy(() => v.assign(tf.tensor(moved, v.shape)));
        return lossOf();
      };
      const numeric = (probe(eps) - probe(-eps)) / (2 * eps);
      tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
      assert.ok(
        Math.abs(numeric - ours[k]![at]!) <= 2e-3 * Math.max(1, Math.abs(numeric)),
        `${layer.variableNames[k]}[${at}]: finite differences ${numeric}, backward ${ours[k]![at]}`,
      );
    }
  });
  tf.dispose([x, w]);
  layer.dispose();
});

Deno.test("lstm in a spec: shapes, a training step without leaks, and clear errors for bad input shapes", () => {
  const net = buildNetwork({
    input: [7, 4],
    layers: [{ type: "lstm", units: 8 }, { type: "dense", units: 3 }],
    seed: 2,
  });
  assert.deepEqual(net.layers[0]!.outputShape, [8]);
  const x = sequence(5, 7, 4, 8);
  const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1], "int32"), 3).toFloat() as tf.Tensor2D;
  net.trainStep(x, labels);
  const count = tf.memory().numTensors;
  const first = net.trainStep(x, labels).loss;
  for (let k = 0; k < 20; k++) net.trainStep(x, labels);
  assert.equal(tf.memory().numTensors, count, "tensors after 21 more steps");
  assert.ok(net.trainStep(x, labels).loss < first, "the loss falls on a batch it trains on");
  tf.dispose([x, labels]);
  net.dispose();
  // An lstm first on a flat input is a sequence network (input: one step's features), which trains on sequences.
  const steps = buildNetwork({ input: [784], layers: [{ type: "lstm", units: 8 }, { type: "dense", units: 10 }] });
  assert.equal(steps.kind, "sequence");
  const [x2, y2] = [tf.zeros([2, 784]), tf.zeros([2, 10]) as tf.Tensor2D];
  assert.throws(() => steps.trainStep(x2, y2), /batches of sequences/);
  tf.dispose([x2, y2]);
  steps.dispose();
  // In a feed-forward spec an lstm after a flat layer still needs [time, features].
  assert.throws(
    () =>
      buildNetwork({
        input: [784],
        layers: [{ type: "dense", units: 8 }, { type: "lstm", units: 8 }, { type: "dense", units: 10 }],
      }),
    (e: Error) =>
      e instanceof SpecError &&
      /layers\[1\]\.type .*takes a sequence \[time, features\] per example but would get \[8\]/.test(e.message),
  );
  assert.throws(
    () => buildNetwork({ input: [5, 3], layers: [{ type: "lstm", units: 0 }, { type: "dense", units: 2 }] }),
    (e: Error) => e instanceof SpecError && /layers\[0\]\.units/.test(e.message),
  );
  assert.throws(
    () =>
      buildNetwork({
        input: [5, 3],
        layers: [{ type: "lstm", units: 4, returnSequence: true }, { type: "dense", units: 2 }],
      }),
    (e: Error) => e instanceof SpecError && /returnSequence/.test(e.message),
  );
});

Deno.test("an lstm whose kernels would pass the weights one layer may have is refused before anything is allocated", () => {
  const before = tf.memory().numTensors;
  assert.throws(
    () =>
      new Lstm({ type: "lstm", units: 2 }, { inputShape: [3, 10_000_000], path: "layers[0]", random: new Random(0) }),
    (e: Error) =>
      e instanceof SpecError &&
      /layers\[0\]\.units .*gives a 10000000 x 8 input kernel of 80000000 weights, more than the 67108864/.test(
        e.message,
      ),
  );
  assert.throws(
    () => new Lstm({ type: "lstm", units: 5000 }, { inputShape: [3, 4], path: "layers[1]", random: new Random(0) }),
    /gives a 5000 x 20000 recurrent kernel of 100000000 weights/,
  );
  assert.equal(tf.memory().numTensors, before);
});
