// The fused LSTM kernels (native/kernels_lstm.ts, run by layers/lstm.ts through layers/_lstm_fused.ts) against the
// layer's composite ops on the same backend and against TF.js autodiff. Without a BLAS library these tests are
// reported as ignored, with the reason printed: they never pass without running. In CI (CI=true) they fail.
import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { useBackend } from "../backend.ts";
import { NATIVE, nativeBlas } from "./backend.ts";
import { Lstm, type LstmState } from "../layers/lstm.ts";
import { lstmFusedActive, setLstmFused } from "../layers/_lstm_fused.ts";
import { Random } from "../random.ts";
import { requires } from "../tests/_requires.ts";

const blas = nativeBlas();
const needsBlas = requires(
  "native/kernels_lstm_test.ts",
  "the fused LSTM kernel tests",
  "reason" in blas ? blas.reason : undefined,
);

async function onNative(f: () => void): Promise<void> {
  needsBlas.check();
  const before = tf.getBackend();
  await useBackend(NATIVE);
  try {
    f();
  } finally {
    setLstmFused(true);
    await useBackend(before);
  }
}

function random(shape: number[], seed: number, scale = 1): tf.Tensor {
  const r = new Random(seed), n = shape.reduce((a, b) => a * b, 1), values = new Float32Array(n);
  for (let k = 0; k < n; k++) values[k] = (2 * r.next() - 1) * scale;
  return tf.tensor(values, shape);
}

// |a - e| <= tolerance * max(1, max |e|), element by element.
function close(actual: tf.Tensor, expected: tf.Tensor, what: string, tolerance = 2e-5): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const a = actual.dataSync(), e = expected.dataSync();
  let scale = 1;
  for (const v of e) scale = Math.max(scale, Math.abs(v));
  for (let k = 0; k < a.length; k++) {
    if (!(Math.abs(a[k]! - e[k]!) <= tolerance * scale)) {
      assert.fail(`${what}: element ${k} is ${a[k]}, expected ${e[k]}`);
    }
  }
}

interface Case {
  batch: number;
  time: number;
  units: number;
  features: number;
}

const CASES: Case[] = [
  { batch: 1, time: 1, units: 8, features: 5 },
  { batch: 3, time: 3, units: 5, features: 4 },
  { batch: 32, time: 3, units: 8, features: 9 },
  { batch: 1, time: 28, units: 128, features: 28 },
  { batch: 32, time: 3, units: 128, features: 9 },
  { batch: 32, time: 28, units: 128, features: 28 },
];

interface Pass {
  output: tf.Tensor;
  state: LstmState;
  gradients: tf.Tensor[];
  inputGradient: tf.Tensor;
  stateGradient: LstmState;
}

function inputsOf({ batch, time, units, features }: Case, seed: number) {
  return {
    x: random([batch, time, features], seed) as tf.Tensor3D,
    initial: {
      h: random([batch, units], seed + 1, 0.5) as tf.Tensor2D,
      c: random([batch, units], seed + 2) as tf.Tensor2D,
    },
    dy: random([batch, time, units], seed + 3, 0.1) as tf.Tensor3D,
    final: {
      h: random([batch, units], seed + 4, 0.1) as tf.Tensor2D,
      c: random([batch, units], seed + 5, 0.1) as tf.Tensor2D,
    },
  };
}

function pass(lstm: Lstm, inputs: ReturnType<typeof inputsOf>, fused: boolean): Pass {
  setLstmFused(fused);
  assert.equal(lstmFusedActive(), fused);
  const f = lstm.forwardSequence(inputs.x, inputs.initial);
  const b = lstm.backwardSequence(f.cache, inputs.dy, inputs.final, true);
  return {
    output: f.output,
    state: f.state,
    gradients: b.gradients,
    inputGradient: b.inputGradient!,
    stateGradient: b.stateGradient,
  };
}

function layer(c: Case, seed: number): Lstm {
  return new Lstm({ type: "lstm", units: c.units, returnSequences: true }, {
    inputShape: [c.time, c.features],
    path: "layers[0]",
    random: new Random(seed),
  });
}

function compare(actual: Pass, expected: Pass, what: string, tolerance?: number): void {
  close(actual.output, expected.output, `${what}: output`, tolerance);
  close(actual.state.h, expected.state.h, `${what}: final h`, tolerance);
  close(actual.state.c, expected.state.c, `${what}: final c`, tolerance);
  for (const [k, name] of ["kernel", "recurrentKernel", "bias"].entries()) {
    close(actual.gradients[k]!, expected.gradients[k]!, `${what}: d${name}`, tolerance);
  }
  close(actual.inputGradient, expected.inputGradient, `${what}: dx`, tolerance);
  close(actual.stateGradient.h, expected.stateGradient.h, `${what}: dh0`, tolerance);
  close(actual.stateGradient.c, expected.stateGradient.c, `${what}: dc0`, tolerance);
}

Deno.test({
  name: "lstm fused kernels: forward and backward equal the composite ops (T 1, 3, 28; B 1, 32; U 8, 128)",
  ignore: needsBlas.ignore,
  fn: () =>
    onNative(() => {
      for (const [n, c] of CASES.entries()) {
        tf.tidy(() => {
          const lstm = layer(c, n), inputs = inputsOf(c, 10 * n);
          compare(pass(lstm, inputs, true), pass(lstm, inputs, false), JSON.stringify(c));
          lstm.dispose();
        });
      }
    }),
});

Deno.test({
  name: "lstm fused kernels: gradients equal TF.js autodiff of the forward pass",
  ignore: needsBlas.ignore,
  fn: () =>
    onNative(() => {
      for (const [n, c] of CASES.entries()) {
        tf.tidy(() => {
          const lstm = layer(c, 100 + n), inputs = inputsOf(c, 1000 + n);
          const fused = pass(lstm, inputs, true);
          // Under a gradient tape the layer runs its composite ops, which autodiff differentiates.
          const loss = (x: tf.Tensor, h0: tf.Tensor, c0: tf.Tensor, w: tf.Tensor, u: tf.Tensor, b: tf.Tensor) => {
            assert.equal(lstmFusedActive(), false);
            const f = lstm.forwardSequence(x as tf.Tensor3D, { h: h0 as tf.Tensor2D, c: c0 as tf.Tensor2D });
            void w, u, b; // the variables' gradients come from tf.variableGrads below
            return tf.addN([
              tf.sum(tf.mul(f.output, inputs.dy)),
              tf.sum(tf.mul(f.state.h, inputs.final.h)),
              tf.sum(tf.mul(f.state.c, inputs.final.c)),
            ]) as tf.Scalar;
          };
          const [dx, dh0, dc0] = tf.grads((x, h0, c0) =>
            loss(x!, h0!, c0!, lstm.kernel, lstm.recurrentKernel, lstm.bias)
          )(
            [inputs.x, inputs.initial.h, inputs.initial.c],
          );
          const { grads } = tf.variableGrads(
            () => loss(inputs.x, inputs.initial.h, inputs.initial.c, lstm.kernel, lstm.recurrentKernel, lstm.bias),
            [lstm.kernel, lstm.recurrentKernel, lstm.bias],
          );
          const what = `${JSON.stringify(c)} against autodiff`;
          close(fused.inputGradient, dx!, `${what}: dx`, 1e-4);
          close(fused.stateGradient.h, dh0!, `${what}: dh0`, 1e-4);
          close(fused.stateGradient.c, dc0!, `${what}: dc0`, 1e-4);
          close(fused.gradients[0]!, grads[lstm.kernel.name]!, `${what}: dkernel`, 1e-4);
          close(fused.gradients[1]!, grads[lstm.recurrentKernel.name]!, `${what}: drecurrentKernel`, 1e-4);
          close(fused.gradients[2]!, grads[lstm.bias.name]!, `${what}: dbias`, 1e-4);
          lstm.dispose();
        });
      }
    }),
});

Deno.test({
  name: "lstm fused kernels: a fused forward pass's cache runs the composite backward pass; zero states; no leaks",
  ignore: needsBlas.ignore,
  fn: () =>
    onNative(() => {
      const c = CASES[3]!, lstm = layer(c, 7);
      const before = tf.memory().numTensors;
      for (let round = 0; round < 3; round++) {
        tf.tidy(() => {
          const inputs = inputsOf(c, 50 + round);
          setLstmFused(true);
          const f = lstm.forwardSequence(inputs.x);
          const fusedBack = lstm.backwardSequence(f.cache, inputs.dy, undefined, false);
          assert.equal(fusedBack.inputGradient, undefined);
          setLstmFused(false); // the backward pass of the same cache, composite
          const mixed = lstm.backwardSequence(f.cache, inputs.dy, undefined, false);
          const composite = lstm.forwardSequence(inputs.x);
          close(f.output, composite.output, "output from zeros");
          const reference = lstm.backwardSequence(composite.cache, inputs.dy, undefined, false);
          for (const k of [0, 1, 2]) {
            close(fusedBack.gradients[k]!, reference.gradients[k]!, `gradient ${k}, fused`);
            close(mixed.gradients[k]!, reference.gradients[k]!, `gradient ${k}, fused cache, composite backward`);
          }
          close(fusedBack.stateGradient.h, reference.stateGradient.h, "dh0");
          close(mixed.stateGradient.c, reference.stateGradient.c, "dc0");
        });
        setLstmFused(true);
        // The fused passes alone: every tensor they make is returned (and freed here), no scratch left behind.
        const inputs = inputsOf(c, 80 + round);
        const inner = tf.memory().numTensors;
        const f = lstm.forwardSequence(inputs.x, inputs.initial);
        const b = lstm.backwardSequence(f.cache, inputs.dy, inputs.final, true);
        tf.dispose([f.output, f.state.h, f.state.c, b.inputGradient!, ...b.gradients, b.stateGradient.h]);
        tf.dispose([b.stateGradient.c, ...Object.values((f.cache as { fused: Record<string, tf.Tensor> }).fused)]);
        assert.equal(tf.memory().numTensors, inner);
        tf.dispose([inputs.x, inputs.dy, inputs.initial.h, inputs.initial.c, inputs.final.h, inputs.final.c]);
      }
      assert.equal(tf.memory().numTensors, before);
      lstm.dispose();
    }),
});
