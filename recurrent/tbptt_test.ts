import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { Random } from "../random.ts";
import { DivergenceError, SpecError } from "../errors.ts";
import { assertClose } from "../tests/_helpers.ts";
import { createRegistries } from "../network/registries.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { type SynthesizerModel, SyntheticGradient } from "../interfaces/synthetic_gradient.ts";
import { buildNetwork } from "../network/build.ts";
import type { Network } from "../network/network.ts";
import { stepLoss } from "../losses/step_loss.ts";
import { isRecurrent, type RecurrentLayer, splitState } from "./recurrent_layer.ts";
import { type SequenceTensors, trainSequenceBatch } from "./tbptt.ts";
import { evaluateBatch, holdTraining } from "./evaluate_sequences.ts";
import { futureGradients, syntheticGradientCosine } from "./probe.ts";

const UNITS = 6, FEATURES = 3, OUTPUTS = 2;

function spec(iface: unknown, loss = "sigmoid-cross-entropy"): NetworkSpec {
  return {
    input: [FEATURES],
    layers: [
      { type: "lstm", units: UNITS, ...(iface === undefined ? {} : { stateInterface: iface as string }) },
      { type: "dense", units: 5, activation: "tanh" },
      { type: "dense", units: OUTPUTS },
    ],
    loss,
    optimizer: { type: "sgd", learningRate: 0.5 },
    seed: 3,
  };
}

function sequences(size: number, time: number, seed: number): SequenceTensors {
  const r = new Random(seed);
  const fill = (n: number, f: () => number) => Float32Array.from({ length: n }, f);
  return {
    x: tf.tensor3d(fill(size * time * FEATURES, () => 2 * r.next() - 1), [size, time, FEATURES]),
    targets: tf.tensor3d(fill(size * time * OUTPUTS, () => r.next() < 0.5 ? 0 : 1), [size, time, OUTPUTS]),
    // Some steps do not count, as in the copy task.
    mask: tf.tensor2d(fill(size * time, () => r.next() < 0.7 ? 1 : 0), [size, time]),
  };
}

const disposeBatch = (b: SequenceTensors) => tf.dispose([b.x, b.targets, b.mask]);
const weights = (m: Network) => m.layers.flatMap((p) => p.trainable.map((v) => v.dataSync().slice()));
const buildRecurrentModel = buildNetwork;

// One window in evaluation mode of the test's one-lstm network, from `initial` ([h, c]): logits and final state.
function forwardWindow(model: Network, x: tf.Tensor3D, initial?: tf.Tensor2D) {
  const [size, time] = x.shape;
  const core = model.layers[0] as RecurrentLayer;
  const f = core.lstm.forwardSequence(x, initial ? splitState(initial, UNITS) : undefined);
  let h: tf.Tensor = tf.reshape(f.output, [size * time, UNITS]);
  for (const layer of model.layers.slice(1)) h = layer.forward(h, "eval").output;
  return { logits: h as tf.Tensor2D, state: tf.concat([f.state.h, f.state.c], 1) as tf.Tensor2D };
}

async function onCpu(run: () => void | Promise<void>): Promise<void> {
  const before = tf.getBackend();
  await tf.setBackend("cpu");
  try {
    await run();
  } finally {
    await tf.setBackend(before);
  }
}

// The true dL_future/d(state) at the end of each window, by TF.js autodiff through the windows after it: an
// oracle independent of the hand-written backward pass.
function autodiffFutureGradients(model: Network, batch: SequenceTensors, truncation: number): tf.Tensor2D[] {
  const { x, targets, mask } = batch;
  const [size, time] = x.shape;
  const windows = Math.ceil(time / truncation);
  const window = (w: number) => {
    const t0 = w * truncation, length = Math.min(truncation, time - t0);
    return {
      x: tf.slice(x, [0, t0, 0], [size, length, FEATURES]),
      targets: tf.reshape(tf.slice(targets, [0, t0, 0], [size, length, OUTPUTS]), [size * length, OUTPUTS]),
      mask: tf.reshape(tf.slice(mask, [0, t0], [size, length]), [size * length]),
    };
  };
  const out: tf.Tensor2D[] = [];
  let state: tf.Tensor2D | undefined;
  for (let k = 0; k < windows - 1; k++) {
    state = tf.tidy(() => {
      return forwardWindow(model, window(k).x as tf.Tensor3D, state).state;
    });
    const lossFrom = (s: tf.Tensor) => {
      let st = s as tf.Tensor2D, total = tf.scalar(0);
      for (let w = k + 1; w < windows; w++) {
        const { x: xw, targets: tw, mask: mw } = window(w);
        const f = forwardWindow(model, xw as tf.Tensor3D, st);
        total = tf.add(total, stepLoss(model.stepLoss!, f.logits, tw as tf.Tensor2D, mw as tf.Tensor1D, size).loss);
        st = f.state;
      }
      return total as tf.Scalar;
    };
    out.push(tf.tidy(() => tf.grad(lossFrom)(state!)) as tf.Tensor2D);
  }
  state?.dispose();
  return out;
}

// An interface "oracle" on the recurrent state whose synthesizer returns the given gradients, in order.
function oracleRegistries(queue: tf.Tensor2D[]) {
  const registries = createRegistries();
  const synthesizer: SynthesizerModel = {
    variables: [],
    dispose() {},
    forward(trigger) {
      const next = queue.shift();
      if (next === undefined) throw new Error("the oracle ran out of gradients");
      return { output: tf.mul(next, trigger.shape[0]!), caches: [] };
    },
    fit: () => tf.scalar(0),
  };
  registries.interfaces.register(
    "oracle",
    () => new SyntheticGradient(false, synthesizer, { type: "oracle" }, new Random(0)),
  );
  return registries;
}

for (const truncation of [1, 3, 4]) {
  Deno.test(`truncated BPTT (T=${truncation}) with the true future gradient at each boundary equals full BPTT`, () =>
    onCpu(() => {
      const batch = sequences(4, 10, 11);
      const full = buildRecurrentModel(spec(undefined));
      const truncated = buildRecurrentModel(spec(undefined));
      const truth = autodiffFutureGradients(full, batch, truncation);
      assert.equal(truth.length, Math.ceil(10 / truncation) - 1);
      const queue = [...truth];
      const dni = buildRecurrentModel(spec("oracle"), { registries: oracleRegistries(queue) });
      const before = weights(full);

      const r = trainSequenceBatch(full, batch, { truncation: 10 }); // one window: full BPTT
      trainSequenceBatch(truncated, batch, { truncation, updates: "sequence" });
      const o = trainSequenceBatch(dni, batch, { truncation, updates: "sequence" });
      assert.equal(queue.length, 0); // every boundary asked the oracle once
      assert.equal(o.windows, Math.ceil(10 / truncation));
      assert.ok(Math.abs(o.loss - r.loss) < 1e-4, `the same loss: ${o.loss} vs ${r.loss}`);

      const [w0, wFull, wTrunc, wDni] = [before, weights(full), weights(truncated), weights(dni)];
      wFull.forEach((w, k) => {
        assertClose(wDni[k]!, w, { atol: 2e-6, rtol: 1e-4, what: `DNI with the oracle, variable ${k}` });
      });
      // The test can fail: without the future gradient, truncation changes the core's update.
      const moved = (a: ArrayLike<number>, b: ArrayLike<number>) =>
        Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
      assert.ok(moved(wFull[0]!, w0[0]!) > 1e-3, "full BPTT moved the core's input kernel");
      assert.ok(moved(wTrunc[1]!, wFull[1]!) > 1e-4, "plain truncation differs from full BPTT in the recurrent kernel");
      tf.dispose(truth);
      disposeBatch(batch);
      [full, truncated, dni].forEach((m) => m.dispose());
    }));
}

Deno.test("futureGradients() matches an autodiff oracle written apart, and a perfect synthesizer's cosine is 1", () =>
  onCpu(() => {
    const batch = sequences(3, 9, 12);
    const model = buildRecurrentModel(spec(undefined));
    const ours = futureGradients(model, batch, 2), truth = autodiffFutureGradients(model, batch, 2);
    assert.equal(ours.length, 4);
    ours.forEach((g, k) => assertClose(g.dataSync(), truth[k]!.dataSync(), { atol: 1e-6, what: `boundary ${k}` }));
    const dni = buildRecurrentModel(spec("oracle"), { registries: oracleRegistries(truth) });
    assert.ok(Math.abs(syntheticGradientCosine(dni, batch, 2) - 1) < 1e-5);
    tf.dispose(ours);
    disposeBatch(batch);
    model.dispose();
    dni.dispose();
  }));

Deno.test("the state carries across windows and, with carry, across batches", () => {
  const batch = sequences(2, 8, 13);
  const model = buildRecurrentModel(spec(undefined));
  tf.tidy(() => {
    const whole = forwardWindow(model, batch.x);
    let state;
    const parts: tf.Tensor[] = [];
    for (const [t0, n] of [[0, 3], [3, 3], [6, 2]] as const) {
      const f = forwardWindow(model, tf.slice(batch.x, [0, t0, 0], [2, n, FEATURES]), state);
      parts.push(tf.reshape(f.logits, [2, n, OUTPUTS]));
      state = f.state;
    }
    const windowed = tf.concat(parts, 1);
    assertClose(windowed.dataSync(), tf.reshape(whole.logits, [2, 8, OUTPUTS]).dataSync(), { what: "logits" });
    assertClose(state!.dataSync(), whole.state.dataSync(), { what: "final state" });
  });
  // With carry, the layer keeps the final state for the next batch; with per-batch updates it is the untrained
  // network's state.
  const twin = buildRecurrentModel(spec(undefined));
  const first = {
    x: tf.slice(batch.x, [0, 0, 0], [2, 5, FEATURES]) as tf.Tensor3D,
    targets: tf.slice(batch.targets, [0, 0, 0], [2, 5, OUTPUTS]) as tf.Tensor3D,
    mask: tf.slice(batch.mask, [0, 0], [2, 5]) as tf.Tensor2D,
  };
  trainSequenceBatch(model, first, { truncation: 2, updates: "sequence", carryOut: true });
  const expected = tf.tidy(() => forwardWindow(twin, first.x).state);
  const core = model.layers.find(isRecurrent)!;
  assertClose(core.carried!.dataSync(), expected.dataSync(), { what: "carried state" });
  const rest = {
    x: tf.slice(batch.x, [0, 5, 0], [2, 3, FEATURES]) as tf.Tensor3D,
    targets: tf.slice(batch.targets, [0, 5, 0], [2, 3, OUTPUTS]) as tf.Tensor3D,
    mask: tf.slice(batch.mask, [0, 5], [2, 3]) as tf.Tensor2D,
  };
  const before = tf.memory().numTensors;
  trainSequenceBatch(model, rest, { truncation: 2, carryIn: true }); // from the carried state, dropped after
  assert.equal(core.carried, undefined, "without carryOut the state is dropped after the batch");
  assert.equal(tf.memory().numTensors, before - 1);
  // Evaluation puts the training state aside and back.
  trainSequenceBatch(model, first, { truncation: 2, carryOut: true });
  const carried = core.carried!.dataSync().slice();
  const restore = holdTraining(model);
  evaluateBatch(model, rest);
  restore();
  assertClose(core.carried!.dataSync(), carried, { atol: 0, what: "the training state after an evaluation" });
  core.resetState();
  tf.dispose([expected, first.x, first.targets, first.mask, rest.x, rest.targets, rest.mask]);
  disposeBatch(batch);
  model.dispose();
  twin.dispose();
});

Deno.test("no tensor leak over long sequences, with DNI, DNI + Aux and carried state", () => {
  for (const iface of [undefined, "sg", { type: "sg", hidden: [8], aux: true }]) {
    const model = buildRecurrentModel({ ...spec(iface), optimizer: { type: "adam", learningRate: 0.001 } });
    const batch = sequences(3, 120, 14);
    trainSequenceBatch(model, batch, { truncation: 5, carryOut: true });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) trainSequenceBatch(model, batch, { truncation: 5, carryIn: true, carryOut: true });
    assert.equal(tf.memory().numTensors, before, `leak with interface ${JSON.stringify(iface)}`);
    trainSequenceBatch(model, batch, { truncation: 7, carryIn: true });
    disposeBatch(batch);
    model.dispose();
  }
});

Deno.test("bad sequence inputs are clear errors: wrong rank, zero length, T < 1, wrong widths", () => {
  const model = buildRecurrentModel(spec("sg"));
  const batch = sequences(2, 4, 15);
  const bad: [Partial<SequenceTensors>, number, RegExp][] = [
    [
      { x: tf.zeros([2, 4]) as unknown as tf.Tensor3D },
      2,
      /Sequence inputs must have shape \[B, time, 3\], got \[2, 4\]/,
    ],
    [{ x: tf.zeros([2, 4, 5]) as tf.Tensor3D }, 2, /got \[2, 4, 5\]/],
    [{ x: tf.zeros([2, 0, 3]) as tf.Tensor3D }, 2, /needs B >= 1 and time >= 1, got \[2, 0, 3\]/],
    [{ targets: tf.zeros([2, 4, 3]) as tf.Tensor3D }, 2, /targets must have shape \[2, 4, 2\], got \[2, 4, 3\]/],
    [{ mask: tf.zeros([2, 3]) as tf.Tensor2D }, 2, /mask must have shape \[2, 4\], got \[2, 3\]/],
    [{}, 0, /truncation must be an integer >= 1 \(steps per window\), got 0/],
    [{}, 1.5, /got 1.5/],
  ];
  for (const [patch, truncation, message] of bad) {
    assert.throws(() => trainSequenceBatch(model, { ...batch, ...patch }, { truncation }), message);
    tf.dispose(Object.values(patch));
  }
  disposeBatch(batch);
  model.dispose();
});

Deno.test("bad sequence specs name the field and the value", () => {
  const cases: [unknown, RegExp][] = [
    [{ ...spec("sg"), layers: [{ type: "lstm", units: 4 }] }, /layers.*at least one per-step layer/],
    [
      { ...spec(undefined), layers: [{ type: "lstm", units: 4, interface: "sg" }, { type: "dense", units: 2 }] },
      /layers\[0\].interface.*must be backprop here.*"stateInterface"/,
    ],
    [{ ...spec("sg"), loss: "mse" }, /loss is not a per-step loss.*got "mse"/],
    [{ ...spec({ type: "backprop", aux: true }) }, /aux.*needs a synthetic-gradient interface/],
    [{ ...spec({ type: "sg", aux: 1 }) }, /layers\[0\].stateInterface.aux/],
    [
      { ...spec("sg"), layers: [{ type: "lstm", units: 4, returnSequences: false }, { type: "dense", units: 2 }] },
      /returnSequences/,
    ],
    [{ ...spec("nope") }, /layers\[0\].stateInterface is not a known interface.*got "nope"/],
  ];
  for (const [s, message] of cases) {
    assert.throws(
      () => buildRecurrentModel(s as NetworkSpec),
      (e: Error) => e instanceof SpecError && message.test(e.message),
      String(message),
    );
  }
});

Deno.test("csg on the recurrent state reads a per-sequence label; without one it says so", () => {
  const model = buildRecurrentModel(spec("csg", "softmax-cross-entropy"));
  const batch = sequences(2, 6, 16);
  assert.throws(() => trainSequenceBatch(model, batch, { truncation: 2 }), /csg.*labels/);
  const labels = tf.oneHot([0, 1], OUTPUTS).toFloat() as tf.Tensor2D;
  const r = trainSequenceBatch(model, { ...batch, labels }, { truncation: 2 });
  assert.equal(r.windows, 3);
  tf.dispose(labels);
  disposeBatch(batch);
  model.dispose();
});

Deno.test("a sequence spec round-trips through getSpec(), DNI + Aux included", () => {
  const model = buildRecurrentModel(spec({ type: "sg", aux: true, auxWeight: 0.5 }));
  const again = buildRecurrentModel(model.getSpec());
  assert.deepEqual(again.getSpec(), model.getSpec());
  const core = again.layers[0] as RecurrentLayer;
  assert.equal(core.aux?.units, 2 * UNITS);
  assert.equal(core.auxWeight, 0.5);
  assert.match(String(model), /lstm.*state: sg \+ aux/);
  model.dispose();
  again.dispose();
});

Deno.test("a NaN in a sequence stops training with a DivergenceError naming what it reached; skip counts it instead", () => {
  const model = buildRecurrentModel({ ...spec("sg"), optimizer: { type: "adam", learningRate: 0.001 } });
  const batch = sequences(2, 6, 17);
  const values = batch.x.dataSync().slice();
  values[4] = NaN;
  const x = tf.tensor3d(values, batch.x.shape);
  const before = weights(model);
  assert.throws(
    () => trainSequenceBatch(model, { ...batch, x }, { truncation: 3 }),
    // The first NaN met: the synthetic gradient on the window's final state, predicted before the loss.
    (e: Error) =>
      e instanceof DivergenceError && /the synthetic gradient on the recurrent state is NaN/.test(e.message),
  );
  model.onNonFinite = "skip";
  trainSequenceBatch(model, { ...batch, x }, { truncation: 3 });
  assert.ok(model.skippedUpdates >= 1);
  weights(model).forEach((w, k) => assertClose(w, before[k]!, { atol: 0, what: `variable ${k} unchanged` }));
  tf.dispose(x);
  disposeBatch(batch);
  model.dispose();
});
