import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { Random } from "../random.ts";
import { SpecError } from "../errors.ts";
import { assertClose } from "../tests/_helpers.ts";
import { Conv2D, type Conv2DConfig } from "./conv2d.ts";
import type { Shape } from "./layer.ts";

const context = (inputShape: Shape, seed = 1) => ({ inputShape, path: "layers[0]", random: new Random(seed) });

function randomTensor(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, "float32", seed);
}

// The reference: the same function written with stock TF.js ops, differentiated by TF.js autodiff on the cpu
// backend (wasm has no Conv2DBackpropFilter). Returns dL/dx and dL/d(each trainable), L = sum(output * r).
async function autodiff(
  layer: Conv2D,
  x: Float32Array,
  xShape: number[],
  r: Float32Array,
): Promise<{ dx: Float32Array; grads: Float32Array[] }> {
  const values = layer.trainable.map((v) => ({ data: v.dataSync().slice(), shape: v.shape }));
  const config = layer.getConfig();
  const before = tf.getBackend();
  await tf.setBackend("cpu");
  try {
    return tf.tidy(() => {
      const [kernel, ...rest] = values.map((v) => tf.tensor(v.data, v.shape));
      const input: tf.Tensor = tf.tensor(x, xShape);
      const f = (input: tf.Tensor, kernel: tf.Tensor, a: tf.Tensor, b?: tf.Tensor) => {
        let z: tf.Tensor = tf.conv2d(input as tf.Tensor4D, kernel as tf.Tensor4D, layer.strides, layer.padding);
        if (b) { // batch norm: gamma a, beta b, batch statistics over B, H, W, epsilon 1e-3
          const { mean, variance } = tf.moments(z, [0, 1, 2]);
          z = tf.add(tf.mul(tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, 1e-3))), a), b);
        } else z = tf.add(z, a);
        const act = { linear: (t: tf.Tensor) => t, relu: tf.relu, tanh: tf.tanh, sigmoid: tf.sigmoid }[
          config.activation as "linear"
        ];
        return tf.sum(tf.mul(act(z), tf.tensor(r, z.shape)));
      };
      const grads = tf.grads(f)([input, kernel!, ...rest]);
      return {
        dx: grads[0]!.dataSync() as Float32Array,
        grads: grads.slice(1).map((g) => g.dataSync() as Float32Array),
      };
    });
  } finally {
    await tf.setBackend(before);
  }
}

const CASES: { config: Conv2DConfig; input: number[] }[] = [
  { config: { type: "conv2d", filters: 4, kernelSize: 3, padding: "same", activation: "relu" }, input: [7, 7, 2] },
  {
    config: { type: "conv2d", filters: 3, kernelSize: 3, strides: 2, padding: "same", activation: "tanh" },
    input: [7, 7, 2],
  },
  { config: { type: "conv2d", filters: 3, kernelSize: [2, 3], padding: "same", batchNorm: true }, input: [6, 5, 3] },
  {
    config: { type: "conv2d", filters: 4, kernelSize: 3, strides: 2, activation: "sigmoid", batchNorm: true },
    input: [8, 7, 2],
  },
  {
    config: { type: "conv2d", filters: 2, kernelSize: [3, 2], padding: "valid", activation: "relu", batchNorm: true },
    input: [6, 6, 5],
  },
  {
    config: { type: "conv2d", filters: 5, kernelSize: 5, padding: "same", activation: "relu", batchNorm: true },
    input: [6, 6, 1],
  },
  { config: { type: "conv2d", filters: 3, kernelSize: 3, strides: [1, 2], padding: "same" }, input: [5, 6, 4] },
];

for (const [i, { config, input }] of CASES.entries()) {
  Deno.test(`Conv2D.backward() matches TF.js autodiff: ${JSON.stringify(config)} on ${JSON.stringify(input)}`, async () => {
    const layer = new Conv2D(config, context(input, i));
    // Non-trivial gamma and beta (or bias), so that their gradients and the input gradient are tested in general.
    layer.trainable.slice(1).forEach((v, k) =>
      v.assign(tf.add(randomTensor(v.shape, 40 + k), k === 0 && layer.batchNorm ? 1.5 : 0))
    );
    const xShape = [3, ...input];
    const x = randomTensor(xShape, 10 + i), r = randomTensor([3, ...layer.outputShape], 20 + i);
    const ours = tf.tidy(() => {
      const { cache } = layer.forward(x, "probe");
      const { inputGradient, gradients } = layer.backward(cache, r, true);
      return { dx: inputGradient!.dataSync(), grads: gradients.map((g) => g.dataSync()) };
    });
    const ref = await autodiff(layer, x.dataSync() as Float32Array, xShape, r.dataSync() as Float32Array);
    assertClose(ours.dx, ref.dx, { atol: 1e-4, rtol: 1e-3, what: "dx" });
    ref.grads.forEach((g, k) =>
      assertClose(ours.grads[k]!, g, { atol: 1e-4, rtol: 1e-3, what: layer.variableNames[k] })
    );
    tf.dispose([x, r]);
    layer.dispose();
  });
}

Deno.test("Conv2D.backward() matches finite differences (tanh, batch norm, stride 2)", () => {
  const layer = new Conv2D(
    { type: "conv2d", filters: 3, kernelSize: 3, strides: 2, padding: "same", activation: "tanh", batchNorm: true },
    context([5, 5, 2], 5),
  );
  const x = randomTensor([2, 5, 5, 2], 1), r = randomTensor([2, ...layer.outputShape], 2);
  const lossAt = (input: tf.Tensor) =>
    tf.tidy(() => tf.sum(tf.mul(layer.forward(input, "probe").output, r)).dataSync()[0]!);
  const ours = tf.tidy(() => {
    const { inputGradient, gradients } = layer.backward(layer.forward(x, "probe").cache, r, true);
    return [inputGradient!.dataSync(), ...gradients.map((g) => g.dataSync())];
  });
  const random = new Random(3), eps = 1e-2;
  const check = (
    what: string,
    size: number,
    analytic: ArrayLike<number>,
    perturb: (i: number, d: number) => number,
  ) => {
    for (let trial = 0; trial < 6; trial++) {
      const i = random.int(size);
      const numeric = (perturb(i, eps) - perturb(i, -eps)) / (2 * eps);
      assert.ok(
        Math.abs(numeric - analytic[i]!) <= 2e-3 + 0.05 * Math.abs(numeric),
        `${what}[${i}]: ${analytic[i]} vs ${numeric}`,
      );
    }
  };
  const xValues = x.dataSync();
  check("dx", x.size, ours[0]!, (i, d) => {
    const copy = xValues.slice();
    copy[i] = copy[i]! + d;
    const moved = tf.tensor(copy, x.shape);
    const l = lossAt(moved);
    moved.dispose();
    return l;
  });
  layer.trainable.forEach((v, k) => {
    const values = v.dataSync().slice();
    check(layer.variableNames[k]!, v.size, ours[k + 1]!, (i, d) => {
      const copy = values.slice();
      copy[i] = copy[i]! + d;
      v.assign(tf.tensor(copy, v.shape));
      const l = lossAt(x);
      v.assign(tf.tensor(values, v.shape));
      return l;
    });
  });
  tf.dispose([x, r]);
  layer.dispose();
});

Deno.test("Conv2D infers its output shape as TF does, and counts its multiply-adds", () => {
  for (
    const [input, kernelSize, strides, padding, out] of [
      [[28, 28, 1], 5, 1, "same", [28, 28, 16]],
      [[28, 28, 1], 5, 1, "valid", [24, 24, 16]],
      [[28, 28, 1], 5, 2, "same", [14, 14, 16]],
      [[28, 28, 1], 5, 2, "valid", [12, 12, 16]],
      [[7, 9, 3], [3, 2], [2, 3], "same", [4, 3, 16]],
    ] as const
  ) {
    const layer = new Conv2D({
      type: "conv2d",
      filters: 16,
      kernelSize: kernelSize as number,
      strides: strides as number,
      padding,
    }, context(input));
    assert.deepEqual(layer.outputShape, out);
    const y = tf.tidy(() =>
      tf.conv2d(tf.zeros([1, ...input]) as tf.Tensor4D, layer.kernel as tf.Tensor4D, strides as number, padding)
    );
    assert.deepEqual(y.shape.slice(1), out);
    y.dispose();
    const [kh, kw] = layer.kernelSize;
    assert.equal(layer.multiplyAdds, out[0] * out[1] * 16 * kh * kw * input[2]);
    layer.dispose();
  }
});

Deno.test("Conv2D rejects bad specs and inputs with a SpecError naming the path, the shapes and the value", () => {
  const cases: [Record<string, unknown>, Shape, RegExp][] = [
    [
      { filters: 8, kernelSize: 3 },
      [784],
      /layers\[0\] takes images \[height, width, channels\], got input \[784\]: give .*\[28, 28, 1\]/,
    ],
    [
      { filters: 8, kernelSize: 5 },
      [3, 4, 1],
      /layers\[0\]\.kernelSize gives a 5x5 window larger than the \[3, 4, 1\] input with padding "valid": .*padding "same", got 5/,
    ],
    [
      { filters: 8, kernelSize: [0, 2] },
      [8, 8, 1],
      /layers\[0\]\.kernelSize must be a positive integer or \[height, width\].*got \[0,2\]/,
    ],
    [{ filters: 8 }, [8, 8, 1], /layers\[0\]\.kernelSize is required/],
    [{ filters: 0, kernelSize: 3 }, [8, 8, 1], /layers\[0\]\.filters must be a positive integer, got 0/],
    [
      { filters: 8, kernelSize: 3, padding: "full" },
      [8, 8, 1],
      /layers\[0\]\.padding must be one of valid, same, got "full"/,
    ],
    [{ filters: 8, kernelSize: 3, strides: 1.5 }, [8, 8, 1], /layers\[0\]\.strides must be .*got 1.5/],
    [{ filters: 8, kernelSize: 3, activation: "swish" }, [8, 8, 1], /layers\[0\]\.activation must be one of/],
    [{ filters: 8, kernelSize: 3, unit: 2 }, [8, 8, 1], /layers\[0\]\.unit is not a known field/],
    [
      { filters: 2 ** 20, kernelSize: 9 },
      [9, 9, 64],
      /layers\[0\]\.filters gives a \[9, 9, 64, 1048576\] kernel of \d+ weights, more than/,
    ],
  ];
  for (const [fields, inputShape, message] of cases) {
    assert.throws(() => new Conv2D({ type: "conv2d", ...fields }, context(inputShape)), (e: Error) => {
      assert.ok(e instanceof SpecError, String(e));
      assert.match(e.message, message);
      return true;
    });
  }
});

Deno.test("Conv2D.getConfig() round-trips, and toString() shows the structure", () => {
  for (const { config, input } of CASES) {
    const layer = new Conv2D(config, context(input));
    const again = new Conv2D(layer.getConfig(), context(input));
    assert.deepEqual(again.getConfig(), layer.getConfig());
    assert.deepEqual(JSON.parse(JSON.stringify(layer.getConfig())), layer.getConfig());
    assert.equal(again.toString(), layer.toString());
    layer.dispose();
    again.dispose();
  }
  const layer = new Conv2D({ type: "conv2d", filters: 8, kernelSize: [3, 1], strides: 2 }, context([9, 9, 2]));
  assert.deepEqual(layer.getConfig(), {
    type: "conv2d",
    filters: 8,
    kernelSize: [3, 1],
    strides: 2,
    padding: "valid",
    activation: "linear",
  });
  assert.equal(layer.toString(), "conv2d([9, 9, 2] -> [4, 5, 8], 3x1, stride 2x2, valid, linear)");
  layer.dispose();
});

Deno.test("Conv2D forward + backward leaks no tensor, and its Glorot kernel depends only on the seed", () => {
  for (const { config, input } of CASES) {
    const layer = new Conv2D(config, context(input, 7));
    const x = randomTensor([2, ...input], 1);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const { output, cache } = layer.forward(x, "train");
      layer.backward(cache, tf.onesLike(output), true);
      layer.backward(cache, tf.onesLike(output), false);
    });
    assert.equal(tf.memory().numTensors, before);
    const twin = new Conv2D(config, context(input, 7));
    assert.deepEqual(twin.kernel.dataSync(), layer.kernel.dataSync());
    const [kh, kw] = layer.kernelSize;
    const limit = Math.sqrt(6 / (kh * kw * input[2]! + kh * kw * layer.filters));
    assert.ok(layer.kernel.dataSync().every((v) => Math.abs(v) <= limit));
    x.dispose();
    layer.dispose();
    twin.dispose();
  }
});
