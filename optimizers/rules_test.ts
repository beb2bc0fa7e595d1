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
