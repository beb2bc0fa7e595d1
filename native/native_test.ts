// The native backend against references: its BLAS matmuls, sums and fused kernels against plain JavaScript and
// against the composite TF.js ops run on the wasm backend. Without a BLAS library (or without --allow-ffi) these
// tests are reported as ignored, with the reason printed: they never pass without running. In CI (CI=true) they fail.
import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { useBackend } from "../backend.ts";
import { NATIVE, nativeBlas } from "./backend.ts";
import { FUSED } from "../fused/names.ts";
import { runFused } from "../fused/run.ts";
import { Adam, Momentum, RmsProp, Sgd } from "../optimizers/rules.ts";
import { buildNetwork } from "../network/build.ts";
import { Random } from "../random.ts";
import { requires } from "../tests/_requires.ts";

const blas = nativeBlas();
const needsBlas = requires(
  "native/native_test.ts",
  "the native backend tests",
  "reason" in blas ? blas.reason : undefined,
);
const ignore = needsBlas.ignore;

function values(n: number, seed: number): Float32Array {
  const r = new Random(seed), out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 2 * r.next() - 1;
  return out;
}

// C = op(A) op(B) in float64, A and B row-major of the given stored shapes.
function matmul(a: Float32Array, [ar, ac]: number[], b: Float32Array, [br, bc]: number[], ta: boolean, tb: boolean) {
  const m = ta ? ac! : ar!, k = ta ? ar! : ac!, n = tb ? br! : bc!;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        s += (ta ? a[p * ac! + i]! : a[i * ac! + p]!) * (tb ? b[j * bc! + p]! : b[p * bc! + j]!);
      }
      out[i * n + j] = s;
    }
  }
  return out;
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5, what = "values"): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (!(Math.abs(a - e) <= tolerance * Math.max(1, Math.abs(e)))) {
      assert.fail(`${what}: element ${i} is ${a}, expected ${e}`);
    }
  }
}

// Runs `f` on the native backend, then puts back the backend that was active; first fails the test in CI when there
// is no BLAS library.
async function onNative<T>(f: () => T | Promise<T>): Promise<T> {
  needsBlas.check();
  const before = tf.getBackend();
  await useBackend(NATIVE);
  try {
    return await f();
  } finally {
    await useBackend(before);
  }
}

Deno.test({
  name: "native: matMul with every transpose, batched and broadcast, equals the product in float64",
  ignore,
  fn: () =>
    onNative(() => {
      for (const [m, k, n] of [[3, 5, 4], [1, 7, 1], [17, 33, 9], [128, 256, 10]] as const) {
        for (const ta of [false, true]) {
          for (const tb of [false, true]) {
            const as = ta ? [k, m] : [m, k], bs = tb ? [n, k] : [k, n];
            const a = values(m * k, m + k), b = values(k * n, k + n + 1);
            const c = tf.tidy(() =>
              tf.matMul(tf.tensor2d(a, as as [number, number]), tf.tensor2d(b, bs as [number, number]), ta, tb)
            );
            assert.deepEqual(c.shape, [m, n]);
            close(c.dataSync(), matmul(a, as, b, bs, ta, tb), 1e-5, `${m}x${k}x${n} ta=${ta} tb=${tb}`);
            c.dispose();
          }
        }
      }
      // [2, m, k] x [2, k, n] and [2, m, k] x [1, k, n] (broadcast), with a transposed right operand.
      const a = values(2 * 3 * 4, 1), b = values(2 * 5 * 4, 2);
      const [batched, broadcast] = tf.tidy(() => [
        tf.matMul(tf.tensor3d(a, [2, 3, 4]), tf.tensor3d(b, [2, 5, 4]), false, true),
        tf.matMul(tf.tensor3d(a, [2, 3, 4]), tf.tensor3d(b.subarray(0, 20), [1, 5, 4]), false, true),
      ]);
      assert.deepEqual(batched!.shape, [2, 3, 5]);
      for (let i = 0; i < 2; i++) {
        const want = matmul(
          a.subarray(i * 12, (i + 1) * 12),
          [3, 4],
          b.subarray(i * 20, (i + 1) * 20),
          [5, 4],
          false,
          true,
        );
        close(batched!.dataSync().subarray(i * 15, (i + 1) * 15), want, 1e-5, `batch ${i}`);
        const first = matmul(a.subarray(i * 12, (i + 1) * 12), [3, 4], b.subarray(0, 20), [5, 4], false, true);
        close(broadcast!.dataSync().subarray(i * 15, (i + 1) * 15), first, 1e-5, `broadcast ${i}`);
      }
      tf.dispose([batched!, broadcast!]);
      // Zero inner size: zeros, as TF.js gives.
      const empty = tf.tidy(() => tf.matMul(tf.zeros([2, 0]), tf.zeros([0, 3])));
      assert.deepEqual(Array.from(empty.dataSync()), [0, 0, 0, 0, 0, 0]);
      empty.dispose();
    }),
});

Deno.test({
  name: "native: fused matMul with bias and relu/linear, and activations it leaves to wasm, equal the composite ops",
  ignore,
  fn: () =>
    onNative(() => {
      const a = tf.tensor2d(values(6 * 7, 3), [6, 7]), b = tf.tensor2d(values(7 * 5, 4), [7, 5]);
      const bias = tf.tensor1d(values(5, 5)), scalar = tf.scalar(0.25);
      for (const activation of ["linear", "relu", "elu", "sigmoid"] as const) {
        // The wasm kernel, which native leaves elu and sigmoid to, takes only a rank-1 bias.
        for (
          const bb of activation === "linear" || activation === "relu" ? [bias, scalar, undefined] : [bias, undefined]
        ) {
          const [fused, plain] = tf.tidy(() => {
            const z = bb === undefined ? tf.matMul(a, b) : tf.add(tf.matMul(a, b), bb);
            const plain = activation === "linear"
              ? z
              : activation === "relu"
              ? tf.relu(z)
              : activation === "elu"
              ? tf.elu(z)
              : tf.sigmoid(z);
            return [tf.fused.matMul({ a, b, bias: bb, activation }), plain];
          });
          close(fused!.dataSync(), plain!.dataSync(), 1e-5, `${activation}, bias ${bb?.shape}`);
          tf.dispose([fused!, plain!]);
        }
      }
      tf.dispose([a, b, bias, scalar]);
    }),
});

Deno.test({
  name: "native: sums over leading, trailing, all and middle axes equal the sums in float64",
  ignore,
  fn: () =>
    onNative(() => {
      const shape = [4, 3, 5], x = values(60, 9);
      const at = (i: number, j: number, k: number) => x[i * 15 + j * 5 + k]!;
      const cases: [number | number[] | undefined, boolean, number[], (idx: number[]) => number][] = [
        [0, false, [3, 5], ([j, k]) => [0, 1, 2, 3].reduce((s, i) => s + at(i, j!, k!), 0)],
        [[0, 1], true, [1, 1, 5], ([, , k]) =>
          [0, 1, 2, 3].reduce((s, i) =>
            s + [0, 1, 2].reduce((t, j) =>
              t + at(i, j, k!), 0), 0)],
        [-1, false, [4, 3], ([i, j]) =>
          [0, 1, 2, 3, 4].reduce((s, k) => s + at(i!, j!, k), 0)],
        [1, false, [4, 5], ([i, k]) => [0, 1, 2].reduce((s, j) => s + at(i!, j, k!), 0)],
        [undefined, false, [], () => x.reduce((s, v) => s + v, 0)],
      ];
      for (const [axis, keepDims, outShape, want] of cases) {
        const y = tf.tidy(() => tf.sum(tf.tensor3d(x, shape as [number, number, number]), axis, keepDims));
        assert.deepEqual(y.shape, outShape, `axis ${axis}`);
        const expected: number[] = [];
        const total = outShape.reduce((p, d) => p * d, 1);
        for (let f = 0; f < total; f++) {
          const idx: number[] = [];
          let rest = f;
          for (let d = outShape.length - 1; d >= 0; d--) {
            idx.unshift(rest % outShape[d]!);
            rest = Math.floor(rest / outShape[d]!);
          }
          expected.push(want(idx));
        }
        close(y.dataSync(), expected, 1e-5, `axis ${axis}`);
        y.dispose();
      }
    }),
});

// Each optimizer's fused kernel on native against its composite rule on wasm, several steps, sizes with tails.
Deno.test({
  name: "native: the fused optimizer updates give exactly the composite rules' values (wasm), step after step",
  ignore,
  fn: async () => {
    needsBlas.check();
    const make = [
      () => new Sgd(0.1),
      () => new Momentum(0.05, 0.9, false),
      () => new Momentum(0.05, 0.9, true),
      () => new Adam(0.01, 0.9, 0.999, 1e-7),
      () => new RmsProp(0.01, 0.9, 0, 1e-7),
      () => new RmsProp(0.01, 0.9, 0.5, 1e-7),
    ];
    const run = async (backend: string, build: () => Sgd | Momentum | Adam | RmsProp) => {
      await useBackend(backend);
      const optimizer = build();
      const vars = [7, 64, 1].map((n, i) => tf.variable(tf.tensor1d(values(n, i + 20))));
      for (let step = 0; step < 5; step++) {
        const grads = vars.map((v, i) => tf.tensor1d(values(v.size, 100 * step + i)));
        optimizer.apply(vars, grads);
        tf.dispose(grads);
      }
      const out = vars.map((v) => v.dataSync().slice());
      const state = optimizer.getState(vars);
      optimizer.dispose();
      tf.dispose(vars);
      return { out, state };
    };
    const before = tf.getBackend();
    try {
      for (const build of make) {
        const native = await run(NATIVE, build), wasm = await run("wasm", build);
        const name = build().constructor.name;
        native.out.forEach((v, i) => close(v, wasm.out[i]!, 0, `${name} variable ${i}`));
        native.state.slots.forEach((slots, i) =>
          slots.forEach((s, k) => close(s, wasm.state.slots[i]![k]!, 0, `${name} slot ${k} of ${i}`))
        );
      }
    } finally {
      await useBackend(before);
    }
  },
});

Deno.test({
  name:
    "native: ReLU's backward, softmax cross-entropy, the L2 regression and the finiteness check equal the composite ops",
  ignore,
  fn: () =>
    onNative(() => {
      tf.tidy(() => {
        for (const n of [1, 7, 64, 1001]) {
          const dy = tf.tensor1d(values(n, n)), y = tf.relu(tf.tensor1d(values(n, n + 1)));
          const fused = runFused(FUSED.reluGrad, { dy, y })![0]!;
          close(fused.dataSync(), tf.mul(dy, tf.step(y)).dataSync(), 0, `reluGrad n=${n}`);
        }
        const logits = tf.tensor2d(values(6 * 4, 30).map((v) => 5 * v), [6, 4]);
        const labels = tf.oneHot(tf.tensor1d([0, 3, 1, 2, 2, 0], "int32"), 4).toFloat();
        const [loss, gradient] = runFused(FUSED.softmaxCrossEntropy, { logits, labels })!;
        const logProbs = tf.logSoftmax(logits);
        close(loss!.dataSync(), tf.neg(tf.mean(tf.sum(tf.mul(labels, logProbs), 1))).dataSync(), 1e-6, "loss");
        close(gradient!.dataSync(), tf.div(tf.sub(tf.exp(logProbs), labels), 6).dataSync(), 1e-6, "gradient");
        for (const n of [3, 8]) {
          const prediction = tf.tensor2d(values(n * 5, n), [n, 5]), target = tf.tensor2d(values(n * 5, n + 9), [n, 5]);
          const [l2, g] = runFused(FUSED.l2Regression, { prediction, target }, { targetScale: n })!;
          const diff = tf.sub(prediction, tf.mul(target, n));
          close(l2!.dataSync(), tf.div(tf.sum(tf.square(diff)), n).dataSync(), 1e-6, `l2 loss n=${n}`);
          close(g!.dataSync(), tf.mul(diff, 2 / n).dataSync(), 0, `l2 gradient n=${n}`);
        }
        const check = (ts: tf.Tensor[]) =>
          runFused(FUSED.nonFinite, Object.fromEntries(ts.map((t, i) => [`t${i}`, t])))![0]!.dataSync()[0]!;
        const big = tf.fill([9], 3e38);
        assert.equal(check([big, tf.tensor1d(values(5, 1))]), 0, "large finite values do not overflow the check");
        for (const bad of [NaN, Infinity, -Infinity]) {
          for (const at of [0, 4, 6]) {
            const t = values(7, 2);
            t[at] = bad;
            assert.ok(Number.isNaN(check([tf.tensor1d([1]), tf.tensor1d(t)])), `${bad} at ${at}`);
          }
        }
      });
    }),
});

Deno.test({
  name: "native: training steps leak no tensors and repeat bit for bit on one BLAS thread",
  ignore,
  fn: () =>
    onNative(() => {
      const lib = blas as Exclude<typeof blas, { reason: string }>;
      const threads = lib.threads();
      lib.setThreads(1);
      try {
        const weights = () => {
          const net = buildNetwork({
            input: [20],
            layers: [
              { type: "dense", units: 16, activation: "relu", interface: "csg" },
              { type: "dense", units: 16, activation: "relu", interface: "sg" },
              { type: "dense", units: 3 },
            ],
            seed: 3,
          });
          const x = tf.tensor2d(values(32 * 20, 5), [32, 20]);
          const labels = tf.oneHot(tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % 3), "int32"), 3)
            .toFloat() as tf.Tensor2D;
          net.trainStep(x, labels);
          const before = tf.memory().numTensors;
          for (let i = 0; i < 5; i++) net.trainStep(x, labels);
          assert.equal(tf.memory().numTensors, before, "tensors after 5 more steps");
          const out = net.layers.flatMap((l) => l.trainable.map((v) => v.dataSync().slice()));
          tf.dispose([x, labels]);
          net.dispose();
          return out;
        };
        const first = weights(), second = weights();
        first.forEach((w, i) => assert.deepEqual(w, second[i], `weight ${i}`));
      } finally {
        if (threads !== undefined) lib.setThreads(threads);
      }
    }),
});

Deno.test({
  name: "native/wasm/kernels_wasm.ts is the assembled native/wasm/kernels.wat",
  fn: async () => {
    const build = new URL("./wasm/build.ts", import.meta.url).pathname;
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--allow-read", "--allow-env", build, "--check"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
    assert.equal(code, 0, text);
    assert.match(text, /matches kernels\.wat/);
  },
});
