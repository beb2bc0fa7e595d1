import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { SpecError } from "../errors.ts";
import { adam, momentum, type Optimizer, rmsprop, sgd } from "./optimizer.ts";
import { Adam, Momentum, RmsProp, Sgd } from "./rules.ts";
import { type ScheduleConfig, scheduleFactor, validateSchedule } from "./schedule.ts";

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${what}: ${actual} != ${expected}`);

Deno.test("scheduleFactor() of a step schedule drops by factor after each boundary", () => {
  const step: ScheduleConfig = { type: "step", boundaries: [3, 5], factor: 0.5 };
  const expected = [1, 1, 1, 0.5, 0.5, 0.25, 0.25];
  expected.forEach((f, i) => close(scheduleFactor(step, i + 1), f, `update ${i + 1}`));
  close(scheduleFactor({ type: "step", boundaries: [300000, 400000], factor: 0.1 }, 400001), 0.01, "DNI paper");
  assert.equal(scheduleFactor({ type: "step", boundaries: [1] }, 2), 0.1, "factor defaults to 0.1");
});

Deno.test("scheduleFactor() of a cosine schedule warms up linearly, decays to minFactor and stays there", () => {
  const cosine: ScheduleConfig = { type: "cosine", steps: 20, warmup: 4, minFactor: 0.2 };
  close(scheduleFactor(cosine, 1), 0.25, "warmup start");
  close(scheduleFactor(cosine, 2), 0.5, "warmup");
  close(scheduleFactor(cosine, 4), 1, "warmup end");
  close(scheduleFactor(cosine, 12), (1 + 0.2) / 2, "midpoint");
  assert.ok(scheduleFactor(cosine, 5) < 1 && scheduleFactor(cosine, 5) > scheduleFactor(cosine, 6), "decreasing");
  close(scheduleFactor(cosine, 20), 0.2, "end");
  close(scheduleFactor(cosine, 21), 0.2, "after the end");
  close(scheduleFactor(cosine, 1000), 0.2, "long after the end");
  const plain: ScheduleConfig = { type: "cosine", steps: 10 };
  close(scheduleFactor(plain, 5), 0.5, "midpoint without warmup, minFactor 0");
  close(scheduleFactor(plain, 10), 0, "end without warmup");
});

Deno.test("scheduleFactor() is 1 without a schedule and rejects update numbers below 1", () => {
  assert.equal(scheduleFactor(undefined, 1), 1);
  assert.equal(scheduleFactor(undefined, 1e6), 1);
  assert.throws(() => scheduleFactor(undefined, 0), RangeError);
  assert.throws(() => scheduleFactor({ type: "cosine", steps: 3 }, 1.5), /integer >= 1, got 1.5/);
});

Deno.test("validateSchedule() fills in defaults and copies the boundaries", () => {
  const boundaries = [10, 20];
  const step = validateSchedule({ type: "step", boundaries }, "optimizer.schedule");
  assert.deepEqual(step, { type: "step", boundaries: [10, 20], factor: 0.1 });
  assert.notEqual((step as { boundaries: number[] }).boundaries, boundaries);
  assert.deepEqual(validateSchedule({ type: "cosine", steps: 100 }, "p"), {
    type: "cosine",
    steps: 100,
    minFactor: 0,
    warmup: 0,
  });
  const full = { type: "cosine", steps: 100, minFactor: 0.1, warmup: 99 };
  assert.deepEqual(validateSchedule(full, "p"), full);
});

Deno.test("validateSchedule() rejects bad configs with a SpecError naming the path and the value", () => {
  const cases: [unknown, string, unknown, RegExp][] = [
    ["step", "s", "step", /must be an object/],
    [{ type: "exponential" }, "s.type", "exponential", /not a known schedule \(known: step, cosine\)/],
    [{ boundaries: [1] }, "s.type", undefined, /not a known schedule/],
    [{ type: "step" }, "s.boundaries", undefined, /non-empty array/],
    [{ type: "step", boundaries: [] }, "s.boundaries", [], /non-empty array/],
    [{ type: "step", boundaries: [0] }, "s.boundaries[0]", 0, /positive integer/],
    [{ type: "step", boundaries: [5, 2.5] }, "s.boundaries[1]", 2.5, /positive integer/],
    [{ type: "step", boundaries: [5, 5] }, "s.boundaries[1]", 5, /greater than the boundary before it \(5\)/],
    [{ type: "step", boundaries: [1], factor: 0 }, "s.factor", 0, /in \(0, 1\]/],
    [{ type: "step", boundaries: [1], factor: 1.5 }, "s.factor", 1.5, /in \[0, 1\]/],
    [{ type: "step", boundaries: [1], steps: 3 }, "s.steps", 3, /not a known field \(known: type, boundaries/],
    [{ type: "cosine" }, "s.steps", undefined, /positive integer/],
    [{ type: "cosine", steps: -1 }, "s.steps", -1, /positive integer/],
    [{ type: "cosine", steps: 10, warmup: 10 }, "s.warmup", 10, /integer in \[0, 10\)/],
    [{ type: "cosine", steps: 10, warmup: -1 }, "s.warmup", -1, /integer in \[0, 10\)/],
    [{ type: "cosine", steps: 10, minFactor: 2 }, "s.minFactor", 2, /in \[0, 1\]/],
  ];
  for (const [config, path, value, problem] of cases) {
    assert.throws(() => validateSchedule(config, "s"), (e) => {
      assert.ok(e instanceof SpecError, `${JSON.stringify(config)}: ${e}`);
      assert.equal(e.path, path);
      assert.deepEqual(e.value, value);
      assert.match(e.message, problem);
      assert.ok(e.message.includes(path), e.message);
      return true;
    });
  }
});

Deno.test("every built-in optimizer factory takes a schedule, and leaves the field out when it has none", () => {
  const schedule = { type: "step" as const, boundaries: [2] };
  for (const factory of [sgd, momentum, adam, rmsprop]) {
    const type = factory === sgd ? "sgd" : factory === momentum ? "momentum" : factory === adam ? "adam" : "rmsprop";
    const plain = factory.validate({ type }, "optimizer");
    assert.ok(!("schedule" in plain), type);
    assert.deepEqual(factory.validate(plain, "optimizer"), plain, "round trip");
    const scheduled = factory.validate({ type, schedule }, "optimizer");
    assert.deepEqual(scheduled, { ...plain, schedule: { type: "step", boundaries: [2], factor: 0.1 } });
    assert.deepEqual(factory.validate(JSON.parse(JSON.stringify(scheduled)), "optimizer"), scheduled, "round trip");
    assert.throws(
      () => factory.validate({ type, schedule: { type: "step", boundaries: [2, 1] } }, "layers[0].optimizer"),
      /Invalid spec: layers\[0\]\.optimizer\.schedule\.boundaries\[1\] must be greater .*, got 1$/,
    );
    const o = factory.create(scheduled);
    assert.equal(o.currentLearningRate, plain.learningRate);
    o.dispose();
  }
});

// A scheduled rule, and two plain instances: one at learningRate, whose state passes at the boundary to one at
// learningRate * factor. Both must move a variable the same way.
const rules: [string, (lr: number, s?: ScheduleConfig) => Optimizer][] = [
  ["sgd", (lr, s) => new Sgd(lr, s)],
  ["momentum", (lr, s) => new Momentum(lr, 0.9, true, s)],
  ["adam", (lr, s) => new Adam(lr, 0.9, 0.999, 1e-7, s)],
  ["rmsprop", (lr, s) => new RmsProp(lr, 0.9, 0.5, 1e-7, s)],
];

for (const [name, make] of rules) {
  Deno.test(`${name} with a step schedule makes the update of a plain ${name} at learningRate * factor`, () => {
    const before = tf.memory().numTensors;
    const lr = 0.05, factor = 0.1, boundary = 3;
    const scheduled = make(lr, { type: "step", boundaries: [boundary], factor });
    const high = make(lr), low = make(lr * factor);
    const init = tf.randomNormal([4, 3], 0, 1, "float32", 3);
    const a = tf.variable(init), b = tf.variable(init);
    for (let t = 1; t <= 6; t++) {
      const g = tf.randomNormal([4, 3], 0, 1, "float32", 30 + t);
      assert.equal(scheduled.currentLearningRate, t <= boundary ? lr : lr * factor, `rate of update ${t}`);
      scheduled.apply([a], [g]);
      if (t <= boundary) high.apply([b], [g]);
      else low.apply([b], [g]);
      if (t === boundary) low.setState!([b], high.getState!([b]));
      g.dispose();
      const [x, y] = [a.dataSync(), b.dataSync()];
      x.forEach((v, i) => assert.ok(Math.abs(v - y[i]!) <= 1e-6 * (1 + Math.abs(y[i]!)), `${name} update ${t}`));
    }
    for (const o of [scheduled, high, low]) o.dispose();
    tf.dispose([init, a, b]);
    assert.equal(tf.memory().numTensors, before);
  });

  Deno.test(`${name} restored with setState continues its cosine schedule exactly`, () => {
    const before = tf.memory().numTensors;
    const schedule: ScheduleConfig = { type: "cosine", steps: 6, warmup: 2, minFactor: 0.1 };
    const steady = make(0.05, schedule), resumed = make(0.05, schedule);
    const init = tf.randomNormal([5], 0, 1, "float32", 4);
    const a = tf.variable(init), b = tf.variable(init);
    const grad = (t: number) => tf.randomNormal([5], 0, 1, "float32", 40 + t);
    for (let t = 1; t <= 3; t++) tf.tidy(() => steady.apply([a], [grad(t)]));
    tf.tidy(() => b.assign(a));
    resumed.setState!([b], steady.getState!([a]));
    assert.equal(resumed.currentLearningRate, steady.currentLearningRate);
    for (let t = 4; t <= 8; t++) {
      tf.tidy(() => {
        const g = grad(t);
        steady.apply([a], [g]);
        resumed.apply([b], [g]);
      });
    }
    assert.deepEqual(b.dataSync(), a.dataSync());
    close(resumed.currentLearningRate!, 0.05 * 0.1, "after the end");
    for (const o of [steady, resumed]) o.dispose();
    tf.dispose([init, a, b]);
    assert.equal(tf.memory().numTensors, before);
  });
}
