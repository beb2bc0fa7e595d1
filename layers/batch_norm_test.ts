import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { assertClose } from "../tests/_helpers.ts";
import { BatchNorm } from "./batch_norm.ts";

Deno.test("BatchNorm on [B, H, W, C] normalises per channel over B, H, W: as on its [B*H*W, C] reshape", () => {
  // (Images sum by matMul, matrices by reduction: equal up to float rounding.)
  const bn = new BatchNorm(3);
  tf.tidy(() => {
    bn.gamma.assign(tf.tensor1d([0.5, 2, -1]));
    bn.beta.assign(tf.tensor1d([0.1, 0, 3]));
    const z = tf.randomNormal([4, 5, 6, 3], 2, 3, "float32", 1);
    const dy = tf.randomNormal([4, 5, 6, 3], 0, 1, "float32", 2);
    const image = bn.forward(z, "probe");
    const matrix = bn.forward(tf.reshape(z, [-1, 3]) as tf.Tensor2D, "probe");
    assert.deepEqual(image.output.shape, [4, 5, 6, 3]);
    assertClose(image.output.dataSync(), matrix.output.dataSync(), { atol: 1e-5, what: "output" });
    const a = bn.backward(image.cache, dy), b = bn.backward(matrix.cache, tf.reshape(dy, [-1, 3]) as tf.Tensor2D);
    assert.deepEqual(a.dz.shape, [4, 5, 6, 3]);
    assertClose(a.dz.dataSync(), b.dz.dataSync(), { atol: 1e-5, what: "dz" });
    assertClose(a.dGamma.dataSync(), b.dGamma.dataSync(), { atol: 1e-4, what: "dGamma" });
    assertClose(a.dBeta.dataSync(), b.dBeta.dataSync(), { atol: 1e-4, what: "dBeta" });
  });
  bn.dispose();
});

Deno.test("BatchNorm.backward() on rank 4 matches TF.js autodiff (count = B*H*W per channel)", () => {
  const bn = new BatchNorm(2);
  tf.tidy(() => {
    bn.gamma.assign(tf.tensor1d([1.5, -0.7]));
    const z = tf.randomNormal([3, 4, 5, 2], 1, 2, "float32", 3);
    const dy = tf.randomNormal([3, 4, 5, 2], 0, 1, "float32", 4);
    const { cache } = bn.forward(z, "probe");
    const ours = bn.backward(cache, dy);
    const [dz, dGamma, dBeta] = tf.grads((z: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
      const { mean, variance } = tf.moments(z, [0, 1, 2]);
      const y = tf.add(tf.mul(tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, bn.epsilon))), gamma), beta);
      return tf.sum(tf.mul(y, dy));
    })([z, bn.gamma, bn.beta]);
    assertClose(ours.dz.dataSync(), dz!.dataSync(), { atol: 1e-5, rtol: 1e-3, what: "dz" });
    assertClose(ours.dGamma.dataSync(), dGamma!.dataSync(), { atol: 1e-4, rtol: 1e-4, what: "dGamma" });
    assertClose(ours.dBeta.dataSync(), dBeta!.dataSync(), { atol: 1e-4, rtol: 1e-4, what: "dBeta" });
  });
  bn.dispose();
});

Deno.test("BatchNorm in train mode updates the running statistics per channel of images", () => {
  const bn = new BatchNorm(2, { momentum: 0 });
  tf.tidy(() => {
    const z = tf.randomNormal([3, 4, 4, 2], 5, 2, "float32", 5);
    bn.forward(z, "train");
    const { mean, variance } = tf.moments(z, [0, 1, 2]);
    assertClose(bn.movingMean.dataSync(), mean.dataSync(), { what: "mean" });
    assertClose(bn.movingVariance.dataSync(), variance.dataSync(), { what: "variance" });
  });
  bn.dispose();
});
