import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { assertClose } from "../tests/_helpers.ts";
import { Adam, Momentum, RmsProp, Sgd } from "./rules.ts";
import type { Optimizer } from "./optimizer.ts";

// Each rule must move a variable exactly as the tf.train optimizer of the same name and settings does.
const cases: [string, () => Optimizer, () => tf.Optimizer][] = [
  ["sgd", () => new Sgd(0.1), () => tf.train.sgd(0.1)],
  ["momentum", () => new Momentum(0.1, 0.9, false), () => tf.train.momentum(0.1, 0.9, false)],
  ["nesterov", () => new Momentum(0.1, 0.9, true), () => tf.train.momentum(0.1, 0.9, true)],
  ["adam", () => new Adam(0.01, 0.9, 0.999, 1e-7), () => tf.train.adam(0.01, 0.9, 0.999, 1e-7)],
  ["rmsprop", () => new RmsProp(0.01, 0.9, 0, 1e-7), () => tf.train.rmsprop(0.01, 0.9, 0, 1e-7)],
  ["rmsprop+momentum", () => new RmsProp(0.01, 0.9, 0.5, 1e-7), () => tf.train.rmsprop(0.01, 0.9, 0.5, 1e-7)],
];

for (const [name, ours, theirs] of cases) {
  Deno.test(`optimizer rule ${name} matches tf.train over 5 steps`, () => {
    const init = tf.randomNormal([4, 3], 0, 1, "float32", 1);
    const a = tf.variable(init.clone()), b = tf.variable(init.clone());
    const oa = ours(), ob = theirs();
    for (let step = 0; step < 5; step++) {
      const g = tf.randomNormal([4, 3], 0, 1, "float32", 10 + step);
      oa.apply([a], [g]);
      ob.applyGradients({ [b.name]: g });
      g.dispose();
    }
    assertClose(a.dataSync(), b.dataSync(), { atol: 1e-5, rtol: 1e-4, what: name });
    oa.dispose();
    ob.dispose();
    tf.dispose([init, a, b]);
  });
}

// Carrying an optimizer's state over to a new instance (a checkpoint) must continue exactly where it stopped.
for (const [name, ours] of cases) {
  Deno.test(`optimizer rule ${name}: getState/setState into a new instance continues exactly`, () => {
    const before = tf.memory().numTensors;
    const init = tf.randomNormal([4, 3], 0, 1, "float32", 2);
    const steady = tf.variable(init), resumed = tf.variable(init), cold = tf.variable(init);
    const first = ours(), second = ours(), fresh = ours();
    const grad = (step: number) => tf.randomNormal([4, 3], 0, 1, "float32", 20 + step);
    for (let step = 0; step < 3; step++) {
      const g = grad(step);
      first.apply([steady], [g]);
      g.dispose();
    }
    const state = first.getState!([steady]);
    assert.equal(state.steps, 3);
    assert.equal(state.slots[0]!.length, first.slotNames!.length);
    tf.tidy(() => {
      resumed.assign(steady);
      cold.assign(steady);
    });
    second.setState!([resumed], state);
    for (let step = 3; step < 5; step++) {
      const g = grad(step);
      first.apply([steady], [g]);
      second.apply([resumed], [g]);
      fresh.apply([cold], [g]);
      g.dispose();
    }
    assert.deepEqual(resumed.dataSync(), steady.dataSync());
    if (first.slotNames!.length > 0) assert.notDeepEqual(cold.dataSync(), steady.dataSync(), "the state matters");
    assert.throws(() => second.setState!([resumed], { steps: 1, slots: [] }), /state has slots for 0 variables/);
    for (const o of [first, second, fresh]) o.dispose();
    tf.dispose([init, steady, resumed, cold]);
    assert.equal(tf.memory().numTensors, before);
  });
}
