import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { assertClose } from "../tests/_helpers.ts";
import { NATIVE, nativeBlas } from "./backend.ts";
import { setConvChunk } from "./kernels_conv.ts";
import { requires } from "../tests/_requires.ts";

// The native convolution kernels against the cpu backend's. Without a BLAS library (or without --allow-ffi) these
// tests are reported as ignored, with the reason printed; in CI (CI=true) they fail.
const blas = nativeBlas();
const needsBlas = requires(
  "native/kernels_conv_test.ts",
  "the native conv kernel tests",
  "reason" in blas ? blas.reason : undefined,
);
const ignore = needsBlas.ignore;
type Pad = "same" | "valid" | number | [[number, number], [number, number], [number, number], [number, number]];

// [x shape, filter [kh, kw, F], strides, padding]
const CASES: [[number, number, number, number], [number, number, number], [number, number], Pad][] = [
  [[2, 6, 6, 1], [3, 3, 4], [1, 1], "same"],
  [[2, 7, 6, 5], [3, 3, 3], [2, 2], "valid"],
  [[2, 7, 7, 4], [2, 2, 5], [2, 2], "same"],
  [[3, 5, 8, 2], [2, 3, 3], [1, 1], "same"],
  [[2, 9, 7, 3], [4, 2, 2], [3, 3], "valid"],
  [[1, 8, 9, 3], [5, 5, 6], [2, 1], "same"],
  [[2, 6, 5, 3], [3, 3, 2], [1, 2], 1],
  [[2, 6, 5, 2], [3, 2, 3], [2, 1], [[0, 0], [2, 0], [1, 3], [0, 0]]],
  [[2, 4, 5, 6], [1, 1, 3], [1, 1], "valid"], // pointwise: no patches
  [[2, 5, 5, 3], [1, 1, 2], [2, 2], "same"],
  [[2, 3, 3, 2], [3, 3, 2], [1, 1], "valid"], // one output pixel
  [[2, 6, 7, 8], [3, 3, 4], [1, 1], "same"], // runs of kw * C >= 16 values: copied whole
  [[2, 9, 8, 16], [5, 5, 3], [2, 2], "same"],
  [[1, 7, 7, 9], [2, 4, 2], [1, 3], [[0, 0], [1, 0], [3, 2], [0, 0]]],
  [[2, 5, 4, 8], [2, 3, 2], [2, 1], [[0, 0], [4, 1], [5, 4], [0, 0]]], // padding wider than the kernel
  [[2, 5, 4, 1], [3, 2, 2], [1, 2], [[0, 0], [3, 4], [4, 3], [0, 0]]],
];

function values(shape: number[], seed: number): Float32Array {
  return tf.tidy(() => tf.randomUniform(shape, -1, 1, "float32", seed).dataSync() as Float32Array);
}

// Conv2D, FusedConv2D (bias + relu), the input gradient and the filter gradient (tf.grad) on one backend.
async function convolutions(
  backend: string,
  [xShape, [kh, kw, filters], strides, pad]: typeof CASES[number],
  data: { x: Float32Array; w: Float32Array; bias: Float32Array; r: Float32Array },
): Promise<Float32Array[]> {
  const before = tf.getBackend();
  await tf.setBackend(backend);
  try {
    return tf.tidy(() => {
      const x = tf.tensor4d(data.x, xShape), w = tf.tensor4d(data.w, [kh, kw, xShape[3], filters]);
      const y = tf.conv2d(x, w, strides, pad);
      const r = tf.tensor(data.r, y.shape);
      const fused = tf.fused.conv2d({ x, filter: w, strides, pad, bias: tf.tensor1d(data.bias), activation: "relu" });
      const loss = (a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad), r));
      const [dx, dw] = tf.grads(loss)([x, w]);
      return [y, fused, dx!, dw!].map((t) => t.dataSync() as Float32Array);
    });
  } finally {
    await tf.setBackend(before);
  }
}

for (const [i, c] of CASES.entries()) {
  Deno.test({
    name: `native conv kernels match the cpu backend: x ${c[0]}, filter ${c[1]}, strides ${c[2]}, pad ${
      JSON.stringify(c[3])
    }`,
    ignore,
    async fn() {
      needsBlas.check();
      const [xShape, [kh, kw, filters]] = c;
      const probe = tf.tidy(() =>
        tf.conv2d(tf.zeros(xShape) as tf.Tensor4D, tf.zeros([kh, kw, xShape[3], filters]) as tf.Tensor4D, c[2], c[3])
          .shape
      );
      const data = {
        x: values(xShape, 10 + i),
        w: values([kh, kw, xShape[3], filters], 20 + i),
        bias: values([filters], 30 + i),
        r: values(probe, 40 + i),
      };
      const reference = await convolutions("cpu", c, data);
      const tensors = tf.memory().numTensors;
      for (const chunk of [1 << 20, 7]) { // one block, then one output line per block
        const previous = setConvChunk(chunk);
        try {
          const ours = await convolutions(NATIVE, c, data);
          ["conv2d", "fused conv2d", "input gradient", "filter gradient"].forEach((what, k) =>
            assertClose(ours[k]!, reference[k]!, { atol: 1e-5, rtol: 1e-4, what: `${what} (chunk ${chunk})` })
          );
        } finally {
          setConvChunk(previous);
        }
      }
      assert.equal(tf.memory().numTensors, tensors);
    },
  });
}

Deno.test({
  name: "native conv kernels hand what they do not support to the wasm kernels (dilations, other activations)",
  ignore,
  async fn() {
    needsBlas.check();
    const data = { x: values([2, 9, 9, 3], 1), w: values([3, 3, 3, 4], 2), bias: values([4], 3) };
    const run = async (backend: string) => {
      const before = tf.getBackend();
      await tf.setBackend(backend);
      try {
        return tf.tidy(() => {
          const x = tf.tensor4d(data.x, [2, 9, 9, 3]), w = tf.tensor4d(data.w, [3, 3, 3, 4]);
          const dilated = tf.conv2d(x, w, 1, "same", "NHWC", 2);
          const elu = tf.fused.conv2d({
            x,
            filter: w,
            pad: "valid",
            strides: 1,
            bias: tf.tensor1d(data.bias),
            activation: "elu",
          });
          return [dilated, elu].map((t) => t.dataSync() as Float32Array);
        });
      } finally {
        await tf.setBackend(before);
      }
    };
    const [ours, reference] = [await run(NATIVE), await run("cpu")];
    assertClose(ours[0]!, reference[0]!, { atol: 1e-5, rtol: 1e-4, what: "dilated conv2d" });
    assertClose(ours[1]!, reference[1]!, { atol: 1e-5, rtol: 1e-4, what: "fused conv2d with elu" });
  },
});

Deno.test({
  name: "tf.grad of tf.conv2d runs on native (wasm has no Conv2DBackpropFilter kernel)",
  ignore,
  async fn() {
    needsBlas.check();
    const before = tf.getBackend();
    await tf.setBackend(NATIVE);
    try {
      const x = tf.randomUniform([4, 10, 10, 2], -1, 1, "float32", 1) as tf.Tensor4D;
      const w = tf.randomUniform([3, 3, 2, 5], -1, 1, "float32", 2) as tf.Tensor4D;
      const tensors = tf.memory().numTensors;
      const g = tf.grad((k: tf.Tensor) => tf.sum(tf.conv2d(x, k as tf.Tensor4D, 1, "same")))(w);
      assert.deepEqual(g.shape, [3, 3, 2, 5]);
      assert.equal(tf.memory().numTensors, tensors + 1);
      tf.dispose([x, w, g]);
    } finally {
      await tf.setBackend(before);
    }
  },
});
