// The conformance suite must fail, and say which part broke and how: deliberately broken plugins, one defect each,
// built on two conformant plugins, a decoupling one and a coupled one.
import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { checkObject, positiveNumber } from "../_validate.ts";
import type {
  CoupledInterface,
  DecouplingInterface,
  InterfaceContext,
  InterfaceFactory,
  StepContext,
} from "../interfaces/interface.ts";
import type { TrainingState } from "../optimizers/state.ts";
import { requireLabels } from "../interfaces/require_labels.ts";
import { Backprop } from "../interfaces/backprop.ts";
import { checkInterface, CONFORMANCE_PARTS, type ConformancePart, formatReport } from "./conformance.ts";

/** The probability that the decoupling plugin updates its layer in a step. */
const KEEP = 0.75;

/**
 * A conformant decoupling plugin: a fixed random projection of the labels is the layer's gradient (as `drtp`),
 * given in a step with probability KEEP (else null), so that it has a random stream as training state; it keeps a
 * running mean of its trigger as a statistic. `labels` reads the step's labels for `send` and `synthesize`.
 */
interface Projected extends DecouplingInterface {
  feedback: tf.Variable;
  mean: tf.Variable;
  scale: number;
  labels(context: StepContext, rows: number): tf.Tensor2D;
  getTrainingState(): TrainingState;
  setTrainingState(state: TrainingState): void;
}

function projected(type: string, scale: number, { units, contextUnits, random }: InterfaceContext): Projected {
  const values = Float32Array.from({ length: contextUnits * units }, () => Math.sqrt(3) * (2 * random.next() - 1));
  const feedback = tf.tidy(() => tf.variable(tf.tensor2d(values, [contextUnits, units]), false));
  const mean = tf.tidy(() => tf.variable(tf.zeros([1, units]), false));
  const synthesize = (h: tf.Tensor, context: StepContext) =>
    tf.tidy(() => {
      const rows = h.shape[0]!;
      return tf.reshape(tf.mul(tf.matMul(self.labels(context, rows), feedback), -scale / rows), h.shape);
    });
  const self: Projected = {
    type,
    decouples: true,
    feedback,
    mean,
    scale,
    variables: [feedback, mean],
    labels: (context, rows) => requireLabels(context, type, rows),
    synthesize,
    send(h, context) {
      const gradient = synthesize(h, context);
      tf.tidy(() => {
        const batchMean = tf.mean(tf.reshape(h, [h.shape[0]!, -1]), 0, true);
        mean.assign(tf.add(tf.mul(mean, 0.9), tf.mul(batchMean, 0.1)));
      });
      if (random.next() < KEEP) return gradient;
      gradient.dispose();
      return null;
    },
    receive() {},
    release() {},
    getTrainingState: () => ({ arrays: [], counters: { random: random.state } }),
    setTrainingState(state) {
      random.state = state.counters.random!;
    },
    getConfig: () => ({ type, scale }),
    dispose() {
      feedback.dispose();
      mean.dispose();
    },
  };
  return self;
}

/** A conformant coupled plugin: backprop times `scale`. */
interface Scaled extends CoupledInterface {
  scale: number;
}

function scaled(type: string, scale: number): Scaled {
  return {
    type,
    decouples: false,
    scale,
    variables: [],
    backward: (message) => tf.mul(message, scale),
    getConfig: () => ({ type, scale }),
    dispose() {},
  };
}

type Defect<B> = (b: B, context: InterfaceContext) => Partial<Record<keyof B, unknown>>;

/** A factory of the decoupling plugin with `defect` applied; options checked unless `lenient`. */
function decoupling(type: string, defect: Defect<Projected> = () => ({}), lenient = false): InterfaceFactory {
  return (config, context) => {
    if (!lenient) checkObject(context.path, config, ["type", "scale"]);
    const b = projected(type, positiveNumber(`${context.path}.scale`, config.scale, 1), context);
    return Object.assign(b, defect({ ...b }, context)); // the defect sees the base's own methods
  };
}

/** A factory of the coupled plugin with `defect` applied. */
function coupled(type: string, defect: Defect<Scaled> = () => ({})): InterfaceFactory {
  return (config, context) => {
    checkObject(context.path, config, ["type", "scale"]);
    const b = scaled(type, positiveNumber(`${context.path}.scale`, config.scale, 1));
    return Object.assign(b, defect({ ...b }, context));
  };
}

Deno.test("checkInterface() passes a conformant decoupling plugin, and a coupled one", () => {
  const report = checkInterface("projected", decoupling("projected"));
  assert.ok(report.ok, formatReport(report));
  assert.deepEqual(report.parts.map((p) => p.part), [
    "shapes",
    "decoupling",
    "config",
    "disposal",
    "state",
    "labels",
    "evaluation",
    "training",
  ]);
  assert.deepEqual(report.parts.filter((p) => p.note), []);
  const other = checkInterface("scaled", coupled("scaled"));
  assert.ok(other.ok, formatReport(other));
  assert.deepEqual(other.parts.filter((p) => p.note).map((p) => [p.part, p.note]), [[
    "state",
    "no training state to restore (hasTrainingState is false); every tf.Variable it holds is in its variables",
  ]]);
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

/** What a broken answer in a training step does to every part that trains a network. */
const NETWORK_PARTS: ConformancePart[] = ["disposal", "evaluation", "training"];

const CASES: Case[] = [
  {
    defect: "send() answers with one column too many",
    part: "shapes",
    name: "wide",
    factory: decoupling("wide", (b) => ({
      send: (h: tf.Tensor, c: StepContext) => (b.labels(c, h.shape[0]!), tf.zeros([h.shape[0]!, h.shape[1]! + 1])),
    })),
    problem:
      /^shapes: send\(\) returned a float32 tensor of shape \[5,7\] at step 0 \(batch of 5\); expected a float32 tensor of shape \[5,6\] \(the trigger's\) or null$/,
    alsoFailing: NETWORK_PARTS,
  },
  {
    defect: "coupled backward() answers with the wrong shape",
    part: "shapes",
    name: "transposed",
    factory: coupled("transposed", () => ({ backward: (m: tf.Tensor) => tf.transpose(m) })),
    problem:
      /^shapes: backward\(\) returned a float32 tensor of shape \[6,5\] at step 0 \(batch of 5\); expected a float32 tensor of shape \[5,6\] \(the trigger's\): the gradient its layer gets$/,
    alsoFailing: NETWORK_PARTS,
  },
  {
    defect: "coupled backward() gives nothing",
    part: "decoupling",
    name: "silent",
    factory: coupled("silent", () => ({ backward: () => undefined })),
    problem:
      /^decoupling: the interface declares decouples: false, but backward\(\) returned undefined at step 0; expected a tensor, the gradient its layer gets \(a coupled interface cannot skip/,
    alsoFailing: ["shapes", ...NETWORK_PARTS],
  },
  {
    defect: "send() answers undefined although it declares decouples: true",
    part: "decoupling",
    name: "waiting",
    factory: decoupling("waiting", (b) => ({
      send: (h: tf.Tensor, c: StepContext) => void b.send(h, c)?.dispose(),
    })),
    problem:
      /^decoupling: the interface declares decouples: true, but send\(\) returned undefined at step 0 \(message delivered\); expected a tensor \(its layer's gradient now\) or null \(no update this step\), never undefined: an interface that waits for the message declares decouples: false/,
    alsoFailing: ["shapes", ...NETWORK_PARTS],
  },
  {
    defect: "does not declare decouples",
    part: "decoupling",
    name: "undecided",
    factory: (config, context) => {
      const iface = decoupling("undecided")(config, context) as unknown as Record<string, unknown>;
      delete iface.decouples;
      return iface as never;
    },
    problem:
      /^decoupling: decouples is undefined; expected the interface to declare decouples: true \(it answers in send\(\)\) or false \(it waits for the message in backward\(\)\)$/,
    // Every part that steps it stops there; buildNetwork rejects it with a TypeError, reported, not thrown, and
    // disposes the interface it rejects.
    alsoFailing: ["shapes", "disposal", "state", "labels", "evaluation", "training"],
  },
  {
    defect: "declares decouples: true but has no release() or synthesize()",
    part: "decoupling",
    name: "partial",
    factory: decoupling("partial", () => ({ release: undefined, synthesize: undefined })),
    problem:
      /^decoupling: the interface declares decouples: true but lacks release\(\), synthesize\(\); expected send\(\), receive\(\), release\(\), synthesize\(\)/,
    alsoFailing: ["shapes", "disposal", "state", "labels", "evaluation", "training"],
  },
  {
    defect: "getConfig() names another type",
    part: "config",
    name: "renamed",
    factory: decoupling("renamed", (b) => ({ getConfig: () => ({ type: "other", scale: b.scale }) })),
    problem: /^config: getConfig\(\)\.type is "other"; expected "renamed", the registered name/,
  },
  {
    defect: "getConfig() does not round-trip",
    part: "config",
    name: "drifting",
    factory: decoupling("drifting", (b) => ({ getConfig: () => ({ type: "drifting", scale: b.scale * 2 }) })),
    problem:
      /^config: the interface built from getConfig\(\) = \{"type":"drifting","scale":2\} has getConfig\(\) = \{"type":"drifting","scale":4\}; expected the same/,
  },
  {
    defect: "getConfig() holds a typed array",
    part: "config",
    name: "typed",
    factory: decoupling("typed", (b) => ({
      getConfig: () => ({ type: "typed", scale: b.scale, w: new Float32Array(2) }),
    })),
    problem:
      /^config: getConfig\(\) is not JSON-able: getConfig\(\)\.w is a Float32Array, which comes back from JSON as \{"0":0,"1":0\}; expected JSON values only/,
  },
  {
    defect: "factory ignores unknown options",
    part: "config",
    name: "lenient",
    factory: decoupling("lenient", undefined, true),
    problem:
      /^config: the factory accepted a config with an unknown option "notAnOption"; expected a SpecError naming layers\[0\]\.interface\.notAnOption/,
  },
  {
    defect: "send() keeps a tensor every step",
    part: "disposal",
    name: "hoarder",
    leaks: true,
    factory: decoupling("hoarder", (b) => ({
      send(h: tf.Tensor, c: StepContext) {
        const gradient = b.send(h, c);
        tf.keep(tf.clone(h));
        return gradient;
      },
    })),
    problem:
      /^disposal: 6 more tensors after 8 steps than after 2 \(send\(\), receive\(\) on every other step, release\(step\) after each\); expected the count to stay flat/,
  },
  {
    defect: "dispose() forgets its variables",
    part: "disposal",
    name: "forgetful",
    leaks: true,
    factory: decoupling("forgetful", () => ({ dispose() {} })),
    problem: /^disposal: 2 of the 2 variables are not disposed after dispose\(\); expected 0$/,
  },
  {
    defect: "setTrainingState() does not restore",
    part: "state",
    name: "amnesiac",
    factory: decoupling("amnesiac", () => ({ setTrainingState() {} })),
    problem:
      /^state: an interface built alike, given the original's variables and setTrainingState\(getTrainingState\(\)\) after 3 steps, (gave send\(\) .* at step \d, the original .*|ends 4 more steps with a training state unlike the original's: counter "random" is \d+ against \d+); expected the same/,
  },
  {
    defect: "getTrainingState() gives a tensor",
    part: "state",
    name: "tensorial",
    leaks: true,
    factory: decoupling("tensorial", (b) => ({
      getTrainingState: () => ({
        arrays: [{ name: "mean", shape: b.mean.shape, values: b.mean.clone() }],
        counters: b.getTrainingState().counters,
      }),
    })),
    problem: /^state: getTrainingState\(\) left 1 tensors behind; expected plain data only$/,
  },
  {
    defect: "Adam moments are variables it neither lists nor exports (and it has no training state)",
    part: "state",
    name: "secretive",
    factory: coupled("secretive", (b) => {
      // Its own optimizer's moments of a per-unit gain, made at the first step as an optimizer makes its slots.
      let moments: tf.Variable[] = [];
      return {
        backward(m: tf.Tensor) {
          if (moments.length === 0) {
            moments = [0, 1].map(() => tf.tidy(() => tf.variable(tf.zeros(m.shape.slice(1)), false)));
          }
          moments[0]!.assign(tf.add(tf.mul(moments[0]!, 0.9), tf.mul(tf.mean(m, 0), 0.1)));
          moments[1]!.assign(tf.add(tf.mul(moments[1]!, 0.999), tf.mul(tf.mean(tf.square(m), 0), 0.001)));
          return b.backward(m, m, { step: 0 });
        },
        dispose: () => moments.forEach((v) => v.dispose()),
      };
    }),
    problem:
      /^state: 2 of the 2 tf\.Variables the interface holds after it was built and trained 3 steps \(shapes \[6\], \[6\]\) are neither in variables nor in getTrainingState\(\) \(it has none: hasTrainingState is false\); expected every variable it keeps to be saved with a checkpoint/,
  },
  {
    defect: "training state leaves out a variable it updates",
    part: "state",
    name: "forgets-slot",
    factory: decoupling("forgets-slot", (b) => {
      const slot = tf.tidy(() => tf.variable(tf.zerosLike(b.mean), false));
      return {
        send(h: tf.Tensor, c: StepContext) {
          tf.tidy(() => slot.assign(tf.add(tf.mul(slot, 0.9), tf.mul(b.mean, 0.1))));
          return b.send(h, c);
        },
        dispose() {
          b.dispose();
          slot.dispose();
        },
      };
    }),
    problem:
      /^state: 1 of the 3 tf\.Variables the interface holds after it was built and trained 3 steps \(shapes \[1,6\]\) are neither in variables nor in getTrainingState\(\); expected/,
  },
  {
    defect: "send() reads the labels unchecked",
    part: "labels",
    name: "unchecked",
    factory: decoupling("unchecked", () => ({ labels: (c: StepContext) => c.labels })),
    problem:
      /^labels: without labels \(context.labels undefined\), send\(\) threw .*; expected either the same result as with labels, or an error that names the interface \("unchecked"\) and the labels/,
  },
  {
    defect: "labels are silently replaced by zeros",
    part: "labels",
    name: "guessing",
    factory: decoupling("guessing", (_b, { contextUnits }) => ({
      labels: (c: StepContext, rows: number) => c.labels ?? tf.zeros([rows, contextUnits]),
    })),
    problem:
      /^labels: without labels \(context.labels undefined\), send\(\) at step \d gave values up to .* away from those with labels; expected the same, or an error naming the labels/,
  },
  {
    defect: "send() refuses without labels but leaks",
    part: "labels",
    name: "leaky",
    leaks: true,
    factory: decoupling("leaky", (b) => ({
      send(h: tf.Tensor, c: StepContext) {
        if (!c.labels) tf.keep(tf.clone(h));
        return b.send(h, c);
      },
    })),
    problem: /^labels: without labels, the refused step left 1 tensors behind; expected 0$/,
  },
  {
    defect: "synthesize() updates a statistic",
    part: "evaluation",
    name: "learner",
    factory: decoupling("learner", (b) => ({
      synthesize: (h: tf.Tensor, c: StepContext) => (b.send(h, c)?.dispose(), b.synthesize(h, c)),
    })),
    problem: /^evaluation: synthesize\(\) before step 0 changed variable 1 \(by up to .*\); expected no side effect/,
  },
  {
    defect: "synthesize() draws from the interface's random numbers",
    part: "evaluation",
    name: "gambler",
    factory: decoupling("gambler", (b, { random }) => ({
      synthesize: (h: tf.Tensor, c: StepContext) => (random.next(), b.synthesize(h, c)),
    })),
    problem:
      /^evaluation: after (synthesize\(\) calls, step \d gave send\(\) .*, unlike an interface without those calls \(.*\)|4 steps with synthesize\(\) calls, the training state differs from that of an interface trained without them \(counter "random" is \d+ against \d+\)); expected synthesize\(\) to change nothing/,
  },
  {
    defect: "backward() climbs the loss (sign error)",
    part: "training",
    name: "ascent",
    factory: coupled("ascent", (b) => ({ backward: (m: tf.Tensor) => tf.mul(m, -b.scale) })),
    problem:
      /^training: 10 epochs of training .* took the training loss from .* to .*; expected it below .*, where the same network gets with its hidden layers frozen/,
  },
  {
    defect: "backward() gives NaN",
    part: "training",
    name: "nan",
    factory: coupled("nan", () => ({ backward: (m: tf.Tensor) => tf.mul(m, NaN) })),
    // The divergence guard stops the first training step that uses the gradient, in every part that trains.
    alsoFailing: ["disposal", "evaluation"],
    problem:
      /^training: Network\.trainStep\(\) threw DivergenceError: Training diverged: element 0 of the weight gradient of layer 1 .* is NaN/,
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

const byPart = (a: ConformancePart, b: ConformancePart) => CONFORMANCE_PARTS.indexOf(a) - CONFORMANCE_PARTS.indexOf(b);

Deno.test("checkInterface() runs only the parts asked for and formats a report that names them", () => {
  const report = checkInterface("backprop", () => new Backprop(), { parts: ["config", "state", "shapes"] });
  assert.deepEqual(report.parts.map((p) => [p.part, p.ok]), [["shapes", true], ["config", false], ["state", true]]);
  assert.equal(
    formatReport(report),
    'interface "backprop": breaks the contract\nok   shapes\nFAIL config: the factory accepted a config with an ' +
      'unknown option "notAnOption"; expected a SpecError naming layers[0].interface.notAnOption (a misspelt ' +
      "option must not be silently ignored)\nok   state: no training state to restore (hasTrainingState is " +
      "false); every tf.Variable it holds is in its variables",
  );
});

Deno.test("checkInterface() rejects a bad name, factory or part", () => {
  assert.throws(() => checkInterface("", () => new Backprop()), TypeError);
  assert.throws(() => checkInterface("b", "nope" as never), /the factory must be a function, got string/);
  assert.throws(
    () => checkInterface("b", () => new Backprop(), { parts: ["speed" as never] }),
    /Unknown conformance part "speed": known parts are shapes, decoupling, config, disposal, state, labels, evaluation, training/,
  );
});
