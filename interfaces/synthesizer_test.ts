import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { SpecError } from "../errors.ts";
import { Dense } from "../layers/dense.ts";
import { Adam, Sgd } from "../optimizers/rules.ts";
import { Random } from "../random.ts";
import { Synthesizer, type SynthesizerOptions, type SynthesizerPass } from "./synthesizer.ts";

const labelsOf = (classes: number[], n: number) => tf.oneHot(tf.tensor1d(classes, "int32"), n).toFloat() as tf.Tensor2D;

function synth(options: Partial<SynthesizerOptions>): Synthesizer {
  return new Synthesizer({
    shape: [6, 6, 3],
    contextUnits: 0,
    hidden: [],
    batchNorm: false,
    optimizer: new Sgd(0.05),
    random: new Random(1),
    ...options,
  });
}

Deno.test("Synthesizer MLP: the numbers of the dense-only synthesizer, bit for bit", () => {
  // The reference is the MLP as it was built and trained before shaped triggers: Dense layers on [units +
  // contextUnits] forked in order from the generator, a zeroed output layer, the trigger and labels side by side,
  // and the same regression step.
  const random = new Random(4);
  const hidden = new Dense({ type: "dense", units: 5, activation: "relu", batchNorm: true }, {
    inputShape: [9],
    path: "s.hidden[0]",
    random: random.fork(),
  });
  const output = new Dense({ type: "dense", units: 6 }, { inputShape: [5], path: "s.output", random: random.fork() });
  tf.tidy(() => [output.kernel, output.bias!].forEach((v) => v.assign(tf.zerosLike(v))));
  const refOptimizer = new Sgd(0.1);
  const s = synth({
    shape: [6],
    contextUnits: 3,
    hidden: [5],
    batchNorm: true,
    random: new Random(4),
    optimizer: new Sgd(0.1),
  });
  assert.deepEqual(s.layers.map(String), ["dense(9 -> 5, bn, relu)", "dense(5 -> 6, linear)"]);
  for (let step = 0; step < 3; step++) {
    tf.tidy(() => {
      const trigger = tf.randomNormal([8, 6], 0, 1, "float32", step);
      const labels = labelsOf([0, 1, 2, 0, 1, 2, 0, 1], 3);
      const target = tf.randomNormal([8, 6], 0, 1, "float32", 10 + step);
      const pass = s.forward(trigger, labels, "train");
      const ours = pass.output.dataSync();
      const lossOurs = s.fit(pass, target).dataSync()[0];
      // Reference step.
      const a = hidden.forward(tf.concat([trigger, labels], 1), "train");
      const b = output.forward(a.output, "train");
      assert.deepEqual(ours, b.output.dataSync());
      const diff = tf.sub(b.output, target);
      // The loss (a statistic; training does not read it) is summed in another order on the native backend (four
      // SIMD lanes): equal within float32 rounding there, bit for bit elsewhere.
      const lossRef = tf.div(tf.sum(tf.square(diff)), 8).dataSync()[0]!;
      if (tf.getBackend() === "native") assert.ok(Math.abs(lossOurs! - lossRef) <= 1e-6 * Math.abs(lossRef));
      else assert.equal(lossOurs, lossRef);
      const g1 = output.backward(b.cache, tf.mul(diff, 2 / 8), true);
      const g0 = hidden.backward(a.cache, g1.inputGradient!, false);
      refOptimizer.apply([...hidden.trainable, ...output.trainable], [...g0.gradients, ...g1.gradients]);
    });
    const refVariables = [...hidden.trainable, ...hidden.state, ...output.trainable];
    s.variables.forEach((v, i) => assert.deepEqual(v.dataSync(), refVariables[i]!.dataSync(), `${s.variableNames[i]}`));
  }
  assert.deepEqual(s.variableNames, [
    "hidden[0].kernel",
    "hidden[0].batchNorm.gamma",
    "hidden[0].batchNorm.beta",
    "hidden[0].batchNorm.movingMean",
    "hidden[0].batchNorm.movingVariance",
    "output.kernel",
    "output.bias",
  ]);
  [hidden, output, s].forEach((x) => x.dispose());
  refOptimizer.dispose();
});

Deno.test("Synthesizer CNN: same convolutions, a zero first prediction of the trigger's shape", () => {
  const s = synth({ shape: [7, 5, 4], hidden: [8, 6], batchNorm: true, kernelSize: 3 });
  assert.deepEqual(s.layers.map(String), [
    "conv2d([7, 5, 4] -> [7, 5, 8], 3x3, same, bn, relu)",
    "conv2d([7, 5, 8] -> [7, 5, 6], 3x3, same, bn, relu)",
    "conv2d([7, 5, 6] -> [7, 5, 4], 3x3, same, linear)",
  ]);
  const linear = synth({ shape: [7, 5, 4] });
  assert.deepEqual(linear.layers.map(String), ["conv2d([7, 5, 4] -> [7, 5, 4], 5x5, same, linear)"]);
  for (const x of [s, linear]) {
    tf.tidy(() => {
      const { output } = x.forward(tf.randomNormal([3, 7, 5, 4]), undefined, "train");
      assert.deepEqual(output.shape, [3, 7, 5, 4]);
      assert.ok(output.dataSync().every((v) => v === 0));
    });
    x.dispose();
  }
});

Deno.test("Synthesizer CNN reads the labels through its global path: after a fit step they change the prediction", () => {
  const s = synth({ shape: [4, 4, 2], contextUnits: 3, hidden: [4], globalUnits: 5 });
  assert.equal(s.layers[0]!.toString(), "conv2d([4, 4, 2] -> [4, 4, 4], 5x5, same, relu)");
  assert.deepEqual(s.global!.layers.map(String), [
    "dense(32 -> 5, linear)",
    "dense(3 -> 5, linear)",
    "dense(5 -> 32, linear)",
  ]);
  tf.tidy(() => {
    const trigger = tf.randomNormal([2, 4, 4, 2], 0, 1, "float32", 1);
    const predict = (classes: number[]) => s.forward(trigger, labelsOf(classes, 3), "probe").output.dataSync();
    assert.deepEqual(predict([0, 1]), predict([2, 2])); // zero at first
    s.fit(s.forward(trigger, labelsOf([0, 1], 3), "train"), tf.randomNormal([2, 4, 4, 2], 0, 1, "float32", 2));
    assert.notDeepEqual(predict([0, 1]), predict([2, 2]));
    // The map is per position: with a zero trigger, class 0's prediction differs from position to position.
    const target = tf.mul(tf.reshape(tf.range(0, 32), [1, 4, 4, 2]), 0.01);
    for (let i = 0; i < 5; i++) s.fit(s.forward(tf.zeros([1, 4, 4, 2]), labelsOf([0], 3), "train"), target);
    const map = [...s.forward(tf.zeros([1, 4, 4, 2]), labelsOf([0], 3), "probe").output.dataSync()];
    assert.ok(new Set(map.map((v) => v.toFixed(6))).size > 8, `a map of one value per position: ${map}`);
  });
  assert.throws(
    () => tf.tidy(() => void s.forward(tf.zeros([2, 4, 4, 2]), undefined, "probe")),
    /needs labels \[2, 3\].*got none/,
  );
  assert.throws(
    () => tf.tidy(() => void s.forward(tf.zeros([2, 4, 4, 2]), labelsOf([0, 1], 4), "probe")),
    /needs labels \[2, 3\] for a batch of 2, got \[2, 4\]/,
  );
  s.dispose();
});

Deno.test("Synthesizer CNN: fit() reduces the loss on a fixed target over steps", () => {
  for (const batchNorm of [false, true]) {
    const s = synth({
      shape: [6, 6, 3],
      contextUnits: 2,
      hidden: [8],
      batchNorm,
      optimizer: new Adam(0.01, 0.9, 0.999, 1e-7),
    });
    const trigger = tf.randomNormal([8, 6, 6, 3], 0, 1, "float32", 3);
    const target = tf.tidy(() => tf.mul(tf.tanh(trigger), 0.5)); // a function of the trigger it can learn
    const labels = labelsOf([0, 1, 0, 1, 0, 1, 0, 1], 2);
    const losses: number[] = [];
    for (let step = 0; step < 40; step++) {
      losses.push(tf.tidy(() => s.fit(s.forward(trigger, labels, "train"), target).dataSync()[0]!));
    }
    assert.ok(losses[39]! < 0.5 * losses[0]!, `batchNorm ${batchNorm}: loss ${losses[0]} -> ${losses[39]}`);
    tf.dispose([trigger, target, labels]);
    s.dispose();
  }
});

Deno.test("Synthesizer CNN: variable names and training state round-trip; forward + fit leak nothing", () => {
  const make = () =>
    synth({
      shape: [5, 5, 2],
      hidden: [3],
      batchNorm: true,
      globalUnits: 2,
      optimizer: new Adam(0.01, 0.9, 0.999, 1e-7),
    });
  const s = make();
  assert.deepEqual(s.variableNames, [
    "hidden[0].kernel",
    "hidden[0].batchNorm.gamma",
    "hidden[0].batchNorm.beta",
    "hidden[0].batchNorm.movingMean",
    "hidden[0].batchNorm.movingVariance",
    "output.kernel",
    "output.bias",
    "global.down.kernel",
    "global.down.bias",
    "global.up.kernel",
    "global.up.bias",
  ]);
  assert.deepEqual(s.variables.map((v) => v.shape), [
    [5, 5, 2, 3],
    [3],
    [3],
    [3],
    [3],
    [5, 5, 3, 2],
    [2],
    [50, 2],
    [2],
    [2, 50],
    [50],
  ]);
  const trigger = tf.randomNormal([4, 5, 5, 2], 0, 1, "float32", 1), target = tf.randomNormal([4, 5, 5, 2]);
  const step = () => tf.tidy(() => s.fit(s.forward(trigger, undefined, "train"), target).dataSync()[0]!);
  step(); // the optimizer makes its slots
  const before = tf.memory().numTensors;
  step();
  assert.equal(tf.memory().numTensors, before);
  // The pass owns its tensors: kept out of a tidy, it outlives the trigger, which the tidy disposes.
  const tensors = (v: unknown): tf.Tensor[] =>
    v instanceof tf.Tensor ? [v] : v && typeof v === "object" ? Object.values(v).flatMap(tensors) : [];
  let pass: SynthesizerPass | undefined;
  tf.tidy(() => {
    pass = s.forward(tf.clone(trigger), undefined, "train");
    tensors(pass).forEach((t) => tf.keep(t));
  });
  tf.tidy(() => {
    s.fit(pass!, target);
  });
  tf.dispose([...new Set(tensors(pass))]);
  assert.equal(tf.memory().numTensors, before);
  const state = s.getTrainingState();
  assert.equal(state.counters["optimizer.steps"], 3);
  assert.ok(state.arrays.some((a) => a.name === "optimizer.output.kernel.m"));
  const other = make();
  other.setTrainingState(state);
  assert.deepEqual(other.getTrainingState(), state);
  tf.dispose([trigger, target]);
  s.dispose();
  other.dispose();
});

Deno.test("Synthesizer rejects triggers that are neither [units] nor [H, W, C] with a SpecError naming them", () => {
  assert.throws(() => synth({ shape: [4, 5], path: "layers[1].interface.synthesizer" }), (e: Error) => {
    assert.ok(e instanceof SpecError);
    assert.match(e.message, /layers\[1\]\.interface\.synthesizer predicts gradients for triggers of shape \[units\]/);
    assert.match(e.message, /got a trigger of shape \[4, 5\]/);
    return true;
  });
});
