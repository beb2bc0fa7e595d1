import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { Random } from "../random.ts";
import { SpecError } from "../errors.ts";
import { assertClose, oneHot, uniform } from "../tests/_helpers.ts";
import { softmaxCrossEntropy } from "../losses/softmax_cross_entropy.ts";
import { Dense } from "./dense.ts";
import type { Layer } from "./layer.ts";

function stack(sizes: number[], activations: string[], batchNorm: boolean): Layer[] {
  const random = new Random(3);
  return activations.map((activation, i) =>
    new Dense(
      { type: "dense", units: sizes[i + 1]!, activation, batchNorm: batchNorm && i < activations.length - 1 },
      { inputShape: [sizes[i]!], path: `layers[${i}]`, random: random.fork() },
    )
  );
}

const loss = softmaxCrossEntropy.create();

function lossOf(layers: Layer[], x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  const h = layers.reduce((h: tf.Tensor, l) => l.forward(h, "probe").output, x);
  return loss.compute(h as tf.Tensor2D, y).loss;
}

// Our hand-written backward pass through the whole stack: gradients of every layer's trainable variables.
function handGradients(layers: Layer[], x: tf.Tensor2D, y: tf.Tensor2D): Float32Array[][] {
  return tf.tidy(() => {
    const caches: unknown[] = [];
    let h: tf.Tensor = x;
    for (const layer of layers) {
      const { output, cache } = layer.forward(h, "probe");
      caches.push(cache);
      h = output;
    }
    let g: tf.Tensor | undefined = loss.compute(h as tf.Tensor2D, y).gradient;
    const result: Float32Array[][] = [];
    for (let j = layers.length - 1; j >= 0; j--) {
      const { inputGradient, gradients } = layers[j]!.backward(caches[j], g!, j > 0);
      result[j] = gradients.map((t) => t.dataSync() as Float32Array);
      g = inputGradient;
    }
    return result;
  });
}

for (const batchNorm of [false, true]) {
  Deno.test(`Dense.backward() matches TF.js autodiff (batchNorm ${batchNorm})`, () => {
    const layers = stack([12, 9, 7, 5], ["relu", "tanh", "linear"], batchNorm);
    const x = uniform(16, 12, 1), y = oneHot(16, 5);
    const ours = handGradients(layers, x, y);
    const variables = layers.flatMap((l) => [...l.trainable]);
    const { grads } = tf.variableGrads(() => lossOf(layers, x, y), variables);
    let k = 0;
    layers.forEach((layer, j) => {
      layer.trainable.forEach((v, i) => {
        assertClose(ours[j]![i]!, grads[v.name]!.dataSync(), { atol: 1e-6, rtol: 1e-4, what: `layer ${j} var ${i}` });
        k++;
      });
    });
    assert.equal(k, variables.length);
    tf.dispose([x, y, ...Object.values(grads)]);
    layers.forEach((l) => l.dispose());
  });
}

Deno.test("Dense.backward() matches finite differences for every activation and batch norm", () => {
  const layers = stack([6, 5, 5, 4], ["sigmoid", "tanh", "linear"], true);
  const layers2 = stack([6, 5, 4], ["relu", "linear"], false);
  for (const net of [layers, layers2]) {
    const x = uniform(8, 6, 2), y = oneHot(8, 4);
    const ours = handGradients(net, x, y);
    const random = new Random(9);
    const eps = 1e-2;
    net.forEach((layer, j) => {
      layer.trainable.forEach((v, i) => {
        for (let trial = 0; trial < 4; trial++) {
          const index = random.int(v.size);
          const values = v.dataSync().slice();
          const at = (delta: number) => {
            const copy = values.slice();
            copy[index] = copy[index]! + delta;
            v.assign(tf.tensor(copy, v.shape));
            return tf.tidy(() => lossOf(net, x, y).dataSync()[0]!);
          };
          const numeric = (at(eps) - at(-eps)) / (2 * eps);
          v.assign(tf.tensor(values, v.shape));
          const analytic = ours[j]![i]![index]!;
          assert.ok(
            Math.abs(numeric - analytic) <= 2e-3 + 0.05 * Math.abs(numeric),
            `layer ${j} var ${i}[${index}]: analytic ${analytic} vs numeric ${numeric}`,
          );
        }
      });
    });
    tf.dispose([x, y]);
    net.forEach((l) => l.dispose());
  }
});

Deno.test("Dense fast-path gradient equals the stock transposed-matmul gradient at MNIST shapes", () => {
  const x = uniform(128, 784, 4), dz = uniform(128, 256, 5), w = uniform(784, 256, 6);
  const fast = tf.matMul(tf.transpose(x), dz), stock = tf.matMul(x, dz, true, false);
  assertClose(fast.dataSync(), stock.dataSync(), { atol: 1e-4, rtol: 1e-4, what: "dW" });
  const fastDx = tf.matMul(dz, tf.transpose(w)), stockDx = tf.matMul(dz, w, false, true);
  assertClose(fastDx.dataSync(), stockDx.dataSync(), { atol: 1e-4, rtol: 1e-4, what: "dx" });
  tf.dispose([x, dz, w, fast, stock, fastDx, stockDx]);
});

Deno.test("Dense rejects bad configs with a SpecError naming the field", () => {
  const context = { inputShape: [4], path: "layers[2]", random: new Random(0) };
  assert.throws(() => new Dense({ type: "dense", units: 0 }, context), (e: Error) => {
    assert.ok(e instanceof SpecError);
    assert.match(e.message, /layers\[2\]\.units must be a positive integer, got 0/);
    return true;
  });
  assert.throws(
    () => new Dense({ type: "dense", units: 3, activation: "swish" }, context),
    /layers\[2\]\.activation must be one of linear, relu, tanh, sigmoid, got "swish"/,
  );
  assert.throws(
    () => new Dense({ type: "dense", units: 3, unit: 4 }, context),
    /layers\[2\]\.unit is not a known field/,
  );
});

Deno.test("Dense in eval mode uses running statistics, in train mode updates them", () => {
  const layer = stack([3, 4, 2], ["relu", "linear"], true)[0]!;
  const x = uniform(10, 3, 7);
  const before = layer.state[0]!.dataSync().slice();
  tf.tidy(() => layer.forward(x, "eval").output);
  tf.tidy(() => layer.forward(x, "probe").output);
  assert.deepEqual(layer.state[0]!.dataSync(), before);
  tf.tidy(() => layer.forward(x, "train").output);
  assert.notDeepEqual(layer.state[0]!.dataSync(), before);
  x.dispose();
  layer.dispose();
});

Deno.test("Dense.backwardFactored() gives factors whose product is exactly the input gradient", () => {
  for (const batchNorm of [false, true]) {
    const layer = stack([6, 5], ["tanh"], batchNorm)[0]! as Dense;
    tf.tidy(() => {
      const x = uniform(4, 6, 1);
      const { cache } = layer.forward(x, "train");
      const dy = uniform(4, 5, 2);
      const full = layer.backward(cache, dy, true);
      const split = layer.backwardFactored(cache, dy);
      const [a, b] = split.factors;
      assert.deepEqual(a.shape, [4, 5]);
      assert.deepEqual(b.shape, [5, 6]);
      assert.deepEqual(tf.matMul(a, b).dataSync(), full.inputGradient!.dataSync());
      split.gradients.forEach((g, i) => assert.deepEqual(g.dataSync(), full.gradients[i]!.dataSync()));
    });
    layer.dispose();
  }
});
