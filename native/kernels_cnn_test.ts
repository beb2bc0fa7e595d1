import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { assertClose } from "../tests/_helpers.ts";
import { requires } from "../tests/_requires.ts";
import { NATIVE, nativeBlas } from "./backend.ts";
import { BatchNorm } from "../layers/batch_norm.ts";
import { MaxPool2D } from "../layers/max_pool2d.ts";
import { setCnnKernels } from "../layers/_cnn_kernels.ts";
import { Random } from "../random.ts";

// The conv net's fused kernels (native/kernels_cnn.ts: batch norm, max pooling with argmax) against the composite
// ops on the same backend and against TF.js autodiff (on cpu, whose MaxPoolGrad is right). Without a BLAS library
// these tests are reported as ignored, with the reason printed; in CI (CI=true) they fail.
const blas = nativeBlas();
const needsBlas = requires(
  "native/kernels_cnn_test.ts",
  "the native conv-net kernel tests",
  "reason" in blas ? blas.reason : undefined,
);
const ignore = needsBlas.ignore;

async function on<T>(backend: string, f: () => T): Promise<T> {
  const before = tf.getBackend();
  await tf.setBackend(backend);
  try {
    return f();
  } finally {
    await tf.setBackend(before);
  }
}

function values(shape: number[], seed: number, scale = 1, shift = 0): Float32Array {
  return tf.tidy(() =>
    tf.randomUniform(shape, shift - scale, shift + scale, "float32", seed).dataSync() as Float32Array
  );
}

// Train-mode forward (output, moving statistics) and backward of a BatchNorm, fused or composite, as arrays.
function batchNorm(shape: number[], data: Record<string, Float32Array>, fused: boolean, relu = false): Float32Array[] {
  const channels = shape.at(-1)!;
  const bn = new BatchNorm(channels, { momentum: 0.5 });
  const previous = setCnnKernels(fused);
  try {
    return tf.tidy(() => {
      bn.gamma.assign(tf.tensor1d(data.gamma!));
      bn.beta.assign(tf.tensor1d(data.beta!));
      const z = tf.tensor(data.z!, shape), dy = tf.tensor(data.dy!, shape);
      const forward = bn.forward(z, "train", relu);
      const { cache } = forward;
      let output = forward.output;
      if (relu && !forward.activated) output = tf.relu(output); // the composite path: ReLU is the caller's
      const g = bn.backward(cache, forward.activated || !relu ? dy : tf.mul(dy, tf.step(output)));
      assert.deepEqual(output.shape, shape);
      assert.deepEqual(g.dz.shape, shape);
      return [output, bn.movingMean, bn.movingVariance, g.dz, g.dGamma, g.dBeta].map((t) =>
        t.dataSync() as Float32Array
      );
    });
  } finally {
    setCnnKernels(previous);
    bn.dispose();
  }
}

// The same, by autodiff of the formula (batch statistics over all axes but the last).
function batchNormAutodiff(shape: number[], data: Record<string, Float32Array>, relu = false): Float32Array[] {
  return tf.tidy(() => {
    const z = tf.tensor(data.z!, shape), dy = tf.tensor(data.dy!, shape);
    const gamma = tf.tensor1d(data.gamma!), beta = tf.tensor1d(data.beta!);
    const axes = shape.slice(0, -1).map((_, i) => i);
    const f = (z: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
      const { mean, variance } = tf.moments(z, axes);
      const y = tf.add(tf.mul(tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, 1e-3))), gamma), beta);
      return relu ? tf.relu(y) : y;
    };
    const output = f(z, gamma, beta);
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(f(a, b, c), dy)))([
      z,
      gamma,
      beta,
    ]);
    return [output, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

// [B, H, W, C] images (per channel over B, H, W) and [B, C] matrices; channels of 4k take the SIMD path.
// (16 and 32 channels: sums of up to 32 rows in registers; 4k: in memory; others: the loops here.)
const SHAPES = [[4, 5, 6, 8], [3, 4, 5, 3], [2, 7, 3, 16], [32, 12], [16, 7], [5, 1], [70, 32], [3, 9, 5, 32]];
for (const [shape, relu] of [...SHAPES.map((s) => [s, false] as const), ...SHAPES.map((s) => [s, true] as const)]) {
  Deno.test({
    name: `native batch norm kernels match the composite ops and autodiff: ${JSON.stringify(shape)}${
      relu ? ", with ReLU" : ""
    }`,
    ignore,
    async fn() {
      needsBlas.check();
      const c = shape.at(-1)!;
      const data = {
        z: values(shape, 1, 3, 2),
        dy: values(shape, 2),
        gamma: values([c], 3, 1, 0.5),
        beta: values([c], 4),
      };
      const tensors = tf.memory().numTensors;
      const [fused, composite] = await on(NATIVE, () => [
        batchNorm(shape, data, true, relu),
        batchNorm(shape, data, false, relu),
      ]);
      assert.equal(tf.memory().numTensors, tensors);
      const names = ["output", "movingMean", "movingVariance", "dz", "dGamma", "dBeta"];
      names.forEach((what, k) => assertClose(fused[k]!, composite[k]!, { atol: 1e-5, rtol: 1e-4, what }));
      const [output, dz, dGamma, dBeta] = batchNormAutodiff(shape, data, relu);
      assertClose(fused[0]!, output!, { atol: 1e-5, rtol: 1e-4, what: "output (autodiff)" });
      assertClose(fused[3]!, dz!, { atol: 1e-5, rtol: 1e-3, what: "dz (autodiff)" });
      assertClose(fused[4]!, dGamma!, { atol: 1e-4, rtol: 1e-4, what: "dGamma (autodiff)" });
      assertClose(fused[5]!, dBeta!, { atol: 1e-4, rtol: 1e-4, what: "dBeta (autodiff)" });
    },
  });
}

type PoolCase = [[number, number, number, number], number | [number, number], number | [number, number], string];
const POOLS: PoolCase[] = [
  [[2, 6, 6, 4], 2, 2, "valid"],
  [[2, 7, 7, 3], 2, 2, "valid"], // the last row and column in no window; channels not 4k: the loops here
  [[2, 7, 5, 8], 3, 2, "same"],
  [[1, 5, 5, 4], 2, 1, "valid"], // overlapping windows: one input can be the maximum of several
  [[3, 9, 8, 12], [3, 2], [2, 3], "same"],
  [[2, 6, 6, 1], 2, 2, "same"],
];

for (const [shape, poolSize, strides, padding] of POOLS) {
  Deno.test({
    name: `native max pooling with argmax matches tf.maxPool and its autodiff: x ${shape}, pool ${poolSize}, ` +
      `strides ${strides}, ${padding}`,
    ignore,
    async fn() {
      needsBlas.check();
      const config = { type: "maxPool2d", poolSize, strides, padding };
      const pool = new MaxPool2D(config, { inputShape: shape.slice(1), path: "p", random: new Random(0) });
      const x = values(shape, 5);
      const outShape = [shape[0], ...pool.outputShape];
      const r = values(outShape, 6);
      const run = (fused: boolean) => {
        const previous = setCnnKernels(fused);
        try {
          return tf.tidy(() => {
            const { output, cache } = pool.forward(tf.tensor4d(x, shape), "train");
            const { inputGradient } = pool.backward(cache, tf.tensor4d(r, outShape as typeof shape), true);
            return [output, inputGradient!].map((t) => t.dataSync() as Float32Array);
          });
        } finally {
          setCnnKernels(previous);
        }
      };
      const tensors = tf.memory().numTensors;
      const [fused, composite] = await on(NATIVE, () => [run(true), run(false)]);
      assert.equal(tf.memory().numTensors, tensors);
      const reference = await on("cpu", () =>
        tf.tidy(() => {
          const s = typeof strides === "number" ? [strides, strides] as [number, number] : strides;
          const p = typeof poolSize === "number" ? [poolSize, poolSize] as [number, number] : poolSize;
          const f = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, p, s, padding as "same");
          const input = tf.tensor4d(x, shape);
          const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), tf.tensor(r, outShape))))(input);
          return [f(input), g].map((t) => t.dataSync() as Float32Array);
        }));
      assert.deepEqual(fused[0], composite[0]); // the same maxima, bit for bit
      assert.deepEqual(fused[0], reference[0]);
      assertClose(fused[1]!, composite[1]!, { atol: 1e-6, what: "input gradient (composite)" });
      assertClose(fused[1]!, reference[1]!, { atol: 1e-6, what: "input gradient (autodiff on cpu)" });
    },
  });
}
