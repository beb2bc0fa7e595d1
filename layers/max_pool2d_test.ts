import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { Random } from "../random.ts";
import { SpecError } from "../errors.ts";
import { assertClose } from "../tests/_helpers.ts";
import { MaxPool2D, type MaxPool2DConfig } from "./max_pool2d.ts";
import type { Shape } from "./layer.ts";

const context = (inputShape: Shape) => ({ inputShape, path: "layers[1]", random: new Random(0) });

// Windows that tile the input (mask path), run past its edge, leave rows out, and overlap (MaxPoolGrad path).
const CASES: { config: MaxPool2DConfig; input: number[]; out: number[] }[] = [
  { config: { type: "maxPool2d", poolSize: 2 }, input: [6, 6, 3], out: [3, 3, 3] },
  { config: { type: "maxPool2d", poolSize: 2 }, input: [7, 5, 2], out: [3, 2, 2] },
  { config: { type: "maxPool2d", poolSize: 2, padding: "same" }, input: [7, 5, 2], out: [4, 3, 2] },
  { config: { type: "maxPool2d", poolSize: 3 }, input: [9, 9, 2], out: [3, 3, 2] },
  { config: { type: "maxPool2d", poolSize: [2, 3] }, input: [6, 9, 2], out: [3, 3, 2] },
  { config: { type: "maxPool2d", poolSize: 3, strides: 2 }, input: [7, 7, 2], out: [3, 3, 2] },
  { config: { type: "maxPool2d", poolSize: 3, strides: 2, padding: "same" }, input: [6, 6, 2], out: [3, 3, 2] },
  { config: { type: "maxPool2d", poolSize: 3, strides: 1, padding: "same" }, input: [4, 5, 1], out: [4, 5, 1] },
];

for (const { config, input, out } of CASES) {
  Deno.test(`MaxPool2D.backward() matches TF.js autodiff on cpu (no ties): ${JSON.stringify(config)} on ${JSON.stringify(input)}`, async () => {
    const layer = new MaxPool2D(config, context(input));
    assert.deepEqual(layer.outputShape, out);
    // Continuous random values: no two inputs of a window are equal.
    const x: tf.Tensor = tf.randomNormal([3, ...input], 0, 1, "float32", 1);
    const r = tf.randomNormal([3, ...out], 0, 1, "float32", 2);
    const before = tf.memory().numTensors;
    const ours = tf.tidy(() => {
      const { output, cache } = layer.forward(x, "train");
      assert.deepEqual(output.shape.slice(1), out);
      assert.deepEqual(layer.backward(cache, r, false), { gradients: [] });
      return layer.backward(cache, r, true).inputGradient!.dataSync();
    });
    assert.equal(tf.memory().numTensors, before);
    // The reference on cpu: wasm's MaxPoolGrad kernel is wrong for some multi-channel inputs (see
    // layers/_max_pool_gradient.ts).
    await tf.setBackend("cpu");
    try {
      const ref = tf.tidy(() =>
        tf.grad((x: tf.Tensor) =>
          tf.sum(tf.mul(tf.maxPool(x as tf.Tensor4D, layer.poolSize, layer.strides, layer.padding), r))
        )(x).dataSync()
      );
      assertClose(ours, ref, { atol: 1e-6, rtol: 1e-6, what: "dx" }); // overlapping windows sum in another order
    } finally {
      await tf.setBackend("wasm");
    }
    tf.dispose([x, r]);
  });
}

Deno.test("MaxPool2D ties: every tied maximum gets the window's gradient (documented)", () => {
  const tiling = new MaxPool2D({ type: "maxPool2d", poolSize: 2 }, context([2, 2, 1]));
  const overlapping = new MaxPool2D({ type: "maxPool2d", poolSize: 2, strides: 1 }, context([2, 2, 1]));
  for (const layer of [tiling, overlapping]) {
    tf.tidy(() => {
      const { cache } = layer.forward(tf.tensor4d([3, 1, 3, 2], [1, 2, 2, 1]), "eval");
      const dx = layer.backward(cache, tf.tensor4d([5], [1, 1, 1, 1]), true).inputGradient!;
      assert.deepEqual([...dx.dataSync()], [5, 0, 5, 0]);
    });
  }
});

Deno.test("MaxPool2D rejects bad specs and inputs with a SpecError naming the path, the shapes and the value", () => {
  const cases: [Record<string, unknown>, Shape, RegExp][] = [
    [{ poolSize: 2 }, [10], /layers\[1\] takes images \[height, width, channels\], got input \[10\]/],
    [
      { poolSize: 4 },
      [3, 8, 2],
      /layers\[1\]\.poolSize gives a 4x4 window larger than the \[3, 8, 2\] input with padding "valid"/,
    ],
    [{}, [8, 8, 1], /layers\[1\]\.poolSize is required/],
    [
      { poolSize: [2, 2, 2] },
      [8, 8, 1],
      /layers\[1\]\.poolSize must be a positive integer or \[height, width\].*got \[2,2,2\]/,
    ],
    [{ poolSize: 2, strides: 0 }, [8, 8, 1], /layers\[1\]\.strides must be .*got 0/],
    [{ poolSize: 2, padding: "SAME" }, [8, 8, 1], /layers\[1\]\.padding must be one of valid, same, got "SAME"/],
    [{ poolSize: 2, filters: 3 }, [8, 8, 1], /layers\[1\]\.filters is not a known field/],
  ];
  for (const [fields, inputShape, message] of cases) {
    assert.throws(() => new MaxPool2D({ type: "maxPool2d", ...fields }, context(inputShape)), (e: Error) => {
      assert.ok(e instanceof SpecError, String(e));
      assert.match(e.message, message);
      return true;
    });
  }
});

Deno.test("MaxPool2D.getConfig() round-trips; strides default to the pool size", () => {
  for (const { config, input } of CASES) {
    const layer = new MaxPool2D(config, context(input));
    assert.deepEqual(new MaxPool2D(layer.getConfig(), context(input)).getConfig(), layer.getConfig());
  }
  const layer = new MaxPool2D({ type: "maxPool2d", poolSize: [2, 3] }, context([6, 9, 2]));
  assert.deepEqual(layer.getConfig(), { type: "maxPool2d", poolSize: [2, 3], strides: [2, 3], padding: "valid" });
  assert.equal(layer.toString(), "maxPool2d([6, 9, 2] -> [3, 3, 2], 2x3, valid)");
  assert.equal(layer.trainable.length + layer.state.length, 0);
});
