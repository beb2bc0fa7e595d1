// The conformance suite must fail, and say which part broke and how: deliberately broken plugins, one defect each.
import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { checkObject, positiveNumber } from "../_validate.ts";
import type { InterfaceContext, InterfaceFactory, NeuralInterface, StepContext } from "../interfaces/interface.ts";
import { requireLabels } from "../interfaces/require_labels.ts";
import { Backprop } from "../interfaces/backprop.ts";
import { checkInterface, type ConformancePart, formatReport } from "./conformance.ts";

/** A conformant plugin: backprop times `scale`, keeping a running mean of its trigger as a statistic. */
interface Base extends NeuralInterface {
  mean: tf.Variable;
  scale: number;
}

function base(type: string, units: number, scale: number): Base {
  const mean = tf.tidy(() => tf.variable(tf.zeros([1, units]), false));
  return {
    type,
    mean,
    scale,
    variables: [mean],
    send(trigger) {
      tf.tidy(() => mean.assign(tf.add(tf.mul(mean, 0.9), tf.mul(tf.mean(trigger, 0, true), 0.1))));
      return undefined;
    },
    receive: (message) => tf.mul(message, scale) as tf.Tensor2D,
    getConfig: () => ({ type, scale }),
    dispose: () => mean.dispose(),
  };
}

/** A plugin factory: the base with `defect` applied; options checked unless `lenient`. */
function plugin(
  type: string,
  defect: (b: Base, context: InterfaceContext) => Partial<NeuralInterface> = () => ({}),
  lenient = false,
): InterfaceFactory {
  return (config, context) => {
    if (!lenient) checkObject(context.path, config, ["type", "scale"]);
    const b = base(type, context.units, positiveNumber(`${context.path}.scale`, config.scale, 1));
    return Object.assign(b, defect({ ...b }, context)); // the defect sees the base's own methods
  };
}

Deno.test("checkInterface() passes a conformant plugin", () => {
  const report = checkInterface("scaled", plugin("scaled"));
  assert.ok(report.ok, formatReport(report));
  assert.deepEqual(report.parts.map((p) => p.part), [
    "shapes",
    "config",
    "disposal",
    "labels",
    "evaluation",
    "training",
  ]);
});

interface Case {
  defect: string;
  /** The plugin's registered name. */
  name: string;
  part: ConformancePart;
  factory: InterfaceFactory;
  problem: RegExp;
  /** The plugin leaks tensors by design (so the suite's own clean-up is not measured). */
  leaks?: true;
  /** Parts that fail as a consequence (a wrong shape also stops a network). */
  alsoFailing?: ConformancePart[];
}

const CASES: Case[] = [
  {
    defect: "send() answers with one column too many",
    part: "shapes",
    name: "wide",
    factory: plugin(
      "wide",
      () => ({ send: (h: tf.Tensor2D) => tf.zeros([h.shape[0], h.shape[1] + 1]) as tf.Tensor2D }),
    ),
    problem:
      /^shapes: send\(\) returned a float32 tensor of shape \[5,7\] at step 0 \(batch of 5\); expected a float32 tensor of shape \[5,6\] \(B x units\), null or undefined$/,
    alsoFailing: ["disposal", "evaluation", "training"],
  },
  {
    defect: "receive() gives nothing after send() waited",
    part: "shapes",
    name: "silent",
    factory: plugin("silent", () => ({ receive: () => undefined })),
    problem:
      /^shapes: receive\(\) returned undefined at step 0 \(batch of 5\), after send\(\) returned undefined; expected the layer's gradient/,
    alsoFailing: ["disposal", "evaluation", "training"],
  },
  {
    defect: "getConfig() names another type",
    part: "config",
    name: "renamed",
    factory: plugin("renamed", (b) => ({ getConfig: () => ({ type: "other", scale: b.scale }) })),
    problem: /^config: getConfig\(\)\.type is "other"; expected "renamed", the registered name/,
  },
  {
    defect: "getConfig() does not round-trip",
    part: "config",
    name: "drifting",
    factory: plugin("drifting", (b) => ({ getConfig: () => ({ type: "drifting", scale: b.scale * 2 }) })),
    problem:
      /^config: the interface built from getConfig\(\) = \{"type":"drifting","scale":2\} has getConfig\(\) = \{"type":"drifting","scale":4\}; expected the same/,
  },
  {
    defect: "getConfig() holds a typed array",
    part: "config",
    name: "typed",
    factory: plugin("typed", (b) => ({ getConfig: () => ({ type: "typed", scale: b.scale, w: new Float32Array(2) }) })),
    problem:
      /^config: getConfig\(\) is not JSON-able: getConfig\(\)\.w is a Float32Array, which comes back from JSON as \{"0":0,"1":0\}; expected JSON values only/,
  },
  {
    defect: "factory ignores unknown options",
    part: "config",
    name: "lenient",
    factory: plugin("lenient", undefined, true),
    problem:
      /^config: the factory accepted a config with an unknown option "notAnOption"; expected a SpecError naming layers\[0\]\.interface\.notAnOption/,
  },
  {
    defect: "send() keeps a tensor every step",
    part: "disposal",
    name: "hoarder",
    leaks: true,
    factory: plugin("hoarder", (b) => ({
      send: (h: tf.Tensor2D, c: StepContext) => (tf.keep(tf.clone(h)), b.send(h, c)),
    })),
    problem: /^disposal: 6 more tensors after 8 steps than after 2 .*; expected the count to stay flat/,
  },
  {
    defect: "dispose() forgets its variable",
    part: "disposal",
    name: "forgetful",
    leaks: true,
    factory: plugin("forgetful", () => ({ dispose() {} })),
    problem: /^disposal: 1 of the 1 variables are not disposed after dispose\(\); expected 0$/,
  },
  {
    defect: "send() reads the labels unchecked",
    part: "labels",
    name: "unchecked",
    factory: plugin("unchecked", (b) => ({
      send: (
        h: tf.Tensor2D,
        c: StepContext,
      ) => (tf.tidy(() => b.mean.assign(tf.mul(tf.sum(c.labels), tf.mean(h, 0, true)))), undefined),
    })),
    problem:
      /^labels: without labels \(context.labels undefined\), send\(\) threw .*; expected either the same result as with labels, or an error that names the interface \("unchecked"\) and the labels/,
  },
  {
    defect: "labels are silently replaced by zeros",
    part: "labels",
    name: "guessing",
    factory: plugin("guessing", (b, { contextUnits, units }) => ({
      receive: (m: tf.Tensor2D, _h: tf.Tensor2D, c: StepContext) =>
        tf.tidy(() => {
          const labels = c.labels ?? tf.zeros([m.shape[0], contextUnits]);
          return tf.add(tf.mul(m, b.scale), tf.mul(tf.matMul(labels, tf.ones([contextUnits, units])), 1e-6));
        }) as tf.Tensor2D,
    })),
    problem:
      /^labels: without labels \(context.labels undefined\), receive\(\) at step 0 gave values up to \d\.\d\de-\d away from those with labels; expected the same, or an error naming the labels/,
  },
  {
    defect: "send() refuses without labels but leaks",
    part: "labels",
    name: "leaky",
    leaks: true,
    factory: plugin("leaky", (b) => ({
      send(h: tf.Tensor2D, c: StepContext) {
        if (!c.labels) tf.keep(tf.clone(h));
        requireLabels(c, "leaky", h.shape[0]);
        return b.send(h, c);
      },
    })),
    problem: /^labels: without labels, the refused step left 1 tensors behind; expected 0$/,
  },
  {
    defect: "synthesize() updates a statistic",
    part: "evaluation",
    name: "learner",
    factory: plugin("learner", (b) => ({
      synthesize: (h: tf.Tensor2D, c: StepContext) => (b.send(h, c), tf.zerosLike(h)),
    })),
    problem: /^evaluation: synthesize\(\) before step 0 changed variable 0 \(by up to .*\); expected no side effect/,
  },
  {
    defect: "synthesize() draws from the interface's random numbers",
    part: "evaluation",
    name: "gambler",
    factory: plugin("gambler", (b, { random }) => {
      const skipped = new Set<number>();
      return {
        send: (h: tf.Tensor2D, c: StepContext) => random.next() < 0.5 ? (skipped.add(c.step), null) : b.send(h, c),
        receive: (m: tf.Tensor2D, h: tf.Tensor2D, c: StepContext) =>
          skipped.has(c.step) ? undefined : b.receive(m, h, c),
        release: (step: number) => void skipped.delete(step),
        synthesize: (h: tf.Tensor2D) => (random.next(), tf.zerosLike(h)),
      };
    }),
    problem: /^evaluation: after synthesize\(\) calls, step \d gave send\(\) .*unlike an interface without those calls/,
  },
  {
    defect: "receive() climbs the loss (sign error)",
    part: "training",
    name: "ascent",
    factory: plugin("ascent", (b) => ({ receive: (m: tf.Tensor2D) => tf.mul(m, -b.scale) as tf.Tensor2D })),
    problem:
      /^training: 10 epochs of train\(\) .* took the training loss from .* to .*; expected it below .*, where the same network gets with its hidden layers frozen/,
  },
  {
    defect: "receive() gives NaN",
    part: "training",
    name: "nan",
    factory: plugin("nan", () => ({ receive: (m: tf.Tensor2D) => tf.mul(m, NaN) as tf.Tensor2D })),
    // The divergence guard stops the first training step that uses the gradient, in every part that trains.
    alsoFailing: ["disposal", "evaluation"],
    problem:
      /^training: train\(\) threw DivergenceError: Training diverged: element 0 of the weight gradient of layer 1 .* is NaN/,
  },
];

for (const { defect, name, part, factory, problem, leaks, alsoFailing = [] } of CASES) {
  Deno.test(`checkInterface() reports "${part}" for a plugin whose ${defect}`, () => {
    const before = tf.memory().numTensors;
    const report = checkInterface(name, factory);
    assert.equal(report.ok, false);
    const failing = report.parts.filter((p) => !p.ok).map((p) => p.part);
    assert.deepEqual(failing, [part, ...alsoFailing].sort(byPart), formatReport(report));
    assert.match(report.parts.find((p) => p.part === part)!.problem!, problem);
    if (!leaks) assert.equal(tf.memory().numTensors, before, "the suite cleans up after a broken plugin");
  });
}

const byPart = (a: ConformancePart, b: ConformancePart) =>
  ["shapes", "config", "disposal", "labels", "evaluation", "training"].indexOf(a) -
  ["shapes", "config", "disposal", "labels", "evaluation", "training"].indexOf(b);

Deno.test("checkInterface() runs only the parts asked for and formats a report that names them", () => {
  const report = checkInterface("backprop", () => new Backprop(), { parts: ["config", "shapes"] });
  assert.deepEqual(report.parts.map((p) => [p.part, p.ok]), [["shapes", true], ["config", false]]);
  assert.equal(
    formatReport(report).split("\n").slice(0, 3).join("\n"),
    'interface "backprop": breaks the contract\nok   shapes\nFAIL config: the factory accepted a config with an ' +
      'unknown option "notAnOption"; expected a SpecError naming layers[0].interface.notAnOption (a misspelt ' +
      "option must not be silently ignored)",
  );
});

Deno.test("checkInterface() rejects a bad name, factory or part", () => {
  assert.throws(() => checkInterface("", () => new Backprop()), TypeError);
  assert.throws(() => checkInterface("b", "nope" as never), /the factory must be a function, got string/);
  assert.throws(
    () => checkInterface("b", () => new Backprop(), { parts: ["speed" as never] }),
    /Unknown conformance part "speed": known parts are shapes, config, disposal, labels, evaluation, training/,
  );
});
