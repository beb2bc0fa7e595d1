// Spec fuzzing: a seeded, bounded property test. Hundreds of random specs, and of mutations of the shipped
// examples, go to buildNetwork; each must either build a network that takes a training step (and frees everything
// on dispose) or throw a SpecError, the documented error of a bad spec: never a raw TypeError or RangeError from
// deep inside, never an allocation that takes the machine down, never a hang, and no tensor left behind.
import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import {
  buildNetwork,
  DivergenceError,
  type Network,
  type NetworkSpec,
  Random,
  SpecError,
  trainSequenceBatch,
} from "../mod.ts";

// One batch of 3 sequences of 4 steps, one class per step and one per sequence, in windows of 2.
function sequenceStep(net: Network, seed: number): { loss: number } {
  const batch = tf.tidy(() => ({
    x: tf.randomUniform([3, 4, net.inputUnits], 0, 1, "float32", seed) as tf.Tensor3D,
    targets: tf.reshape(
      tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2], "int32"), net.outputUnits).toFloat(),
      [3, 4, net.outputUnits],
    ) as tf.Tensor3D,
    mask: tf.ones([3, 4]) as tf.Tensor2D,
    // One label per sequence: the context of a csg on a recurrent state.
    labels: tf.oneHot(tf.tensor1d([0, 1, 2], "int32"), net.outputUnits).toFloat() as tf.Tensor2D,
  }));
  try {
    return trainSequenceBatch(net, batch, { truncation: 2 });
  } finally {
    tf.dispose([batch.x, batch.targets, batch.mask, batch.labels]);
  }
}

const CASES = 400;
const SEED = 20240601;

const PALETTE: unknown[] = [
  0,
  -1,
  1,
  2,
  3,
  0.5,
  2.5,
  1e-9,
  1e9,
  1e300,
  -0,
  NaN,
  Infinity,
  -Infinity,
  "",
  "8",
  "relu",
  "tanh",
  "dense",
  "conv",
  "conv2d",
  "maxPool2d",
  "flatten",
  "same",
  "valid",
  [28, 28, 1],
  [3, 3],
  "sg",
  "csg",
  "backprop",
  "adam",
  "sgd",
  "momentum",
  "mse",
  "softmax-cross-entropy",
  null,
  undefined,
  true,
  false,
  [],
  [8],
  [0],
  [2, 3],
  {},
  { type: "adam", learningRate: 0.01 },
  { type: "sg", hidden: [4] },
  { type: "csg", hidden: [], scale: 2 },
  { type: "momentum", momentum: 2 },
  { type: "dense", units: 5 },
  { type: "conv2d", filters: 2, kernelSize: 3 },
  { type: "flatten" },
];
const KEYS = [
  "type",
  "units",
  "activation",
  "batchNorm",
  "interface",
  "optimizer",
  "hidden",
  "scale",
  "updateProbability",
  "learningRate",
  "input",
  "layers",
  "loss",
  "seed",
  "momentum",
  "filters",
  "kernelSize",
  "strides",
  "padding",
  "poolSize",
  "extra",
];

// Values that make sense for a field, so that many mutants are still valid specs and get built and trained.
const PLAUSIBLE: Record<string, unknown[]> = {
  units: [1, 2, 3, 5, 16],
  filters: [1, 2, 4],
  kernelSize: [1, 3, 5, [3, 1]],
  strides: [1, 2],
  padding: ["same", "valid"],
  poolSize: [1, 2, 3],
  activation: ["linear", "relu", "tanh", "sigmoid"],
  batchNorm: [true, false],
  interface: ["backprop", "sg", "csg", { type: "sg", hidden: [4] }, { type: "csg", updateProbability: 0.5 }],
  optimizer: ["sgd", "adam", "rmsprop", { type: "momentum", nesterov: true }, { type: "adam", learningRate: 0.1 }],
  hidden: [[], [4], [4, 4]],
  scale: [0.5, 2],
  updateProbability: [0.5, 1],
  seed: [0, 7],
  loss: ["mse", "softmax-cross-entropy"],
};

const pick = <T>(random: Random, items: readonly T[]): T => items[random.int(items.length)]!;
const clone = (v: unknown): unknown => structuredClone(v);

// Every object and array inside `root` (root included), to mutate one of them.
function containers(root: unknown): (Record<string, unknown> | unknown[])[] {
  const out: (Record<string, unknown> | unknown[])[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) {
      out.push(v);
      v.forEach(walk);
    } else if (v && typeof v === "object") {
      out.push(v as Record<string, unknown>);
      Object.values(v).forEach(walk);
    }
  };
  walk(root);
  return out;
}

function mutate(random: Random, root: unknown): unknown {
  const all = containers(root);
  if (all.length === 0) return clone(pick(random, PALETTE));
  const target = pick(random, all);
  const keys = Array.isArray(target) ? target.map((_, i) => String(i)) : Object.keys(target);
  const key = keys.length > 0 ? pick(random, keys) : "0";
  const t = target as Record<string, unknown>;
  if (random.next() < 0.5 && plausible(random, root)) return root;
  switch (random.int(6)) {
    case 0: // replace a value
      t[key] = clone(pick(random, PALETTE));
      break;
    case 1: // remove a field or an element
      if (Array.isArray(target)) target.splice(Number(key), 1);
      else delete t[key];
      break;
    case 2: // add a field, known or not
      if (Array.isArray(target)) target.push(clone(pick(random, PALETTE)));
      else t[pick(random, KEYS)] = clone(pick(random, PALETTE));
      break;
    case 3: // duplicate an element, or copy a value to another field
      if (Array.isArray(target) && target.length > 0) target.push(clone(target[Number(key)]));
      else t[pick(random, KEYS)] = clone(t[key]);
      break;
    case 4: // a number scaled, negated, made fractional
      if (typeof t[key] === "number") t[key] = pick(random, [-1, 1000, 0.5, 1e6]) * (t[key] as number) + random.int(2);
      else t[key] = clone(pick(random, PALETTE));
      break;
    default: // the whole thing replaced (rarely)
      if (random.next() < 0.2) return clone(pick(random, PALETTE));
      t[key] = clone(pick(random, PALETTE));
  }
  return root;
}

// A change a user might make to a valid spec, at the right place: a layer's field, a hidden layer's interface or
// one of its options, the network's optimizer, loss or seed, one hidden layer more or less. False if no place.
function plausible(random: Random, root: unknown): boolean {
  const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
  if (!isRecord(root) || !Array.isArray(root.layers) || !root.layers.every(isRecord) || root.layers.length < 2) {
    return false;
  }
  const layers = root.layers as Record<string, unknown>[];
  const hiddenLayer = layers[random.int(layers.length - 1)]!;
  const set = (target: Record<string, unknown>, field: string) =>
    target[field] = clone(pick(random, PLAUSIBLE[field]!));
  switch (random.int(5)) {
    case 0: {
      const layer = pick(random, layers);
      const fields: Record<string, string[]> = {
        conv2d: ["filters", "kernelSize", "strides", "padding", "activation", "batchNorm"],
        maxPool2d: ["poolSize", "strides", "padding"],
      };
      set(layer, pick(random, fields[layer.type as string] ?? ["units", "activation", "batchNorm"]));
      break;
    }
    case 1:
      set(hiddenLayer, "interface");
      break;
    case 2: {
      const iface = isRecord(hiddenLayer.interface) ? hiddenLayer.interface : { type: pick(random, ["sg", "csg"]) };
      set(iface, pick(random, ["hidden", "scale", "updateProbability", "optimizer"]));
      hiddenLayer.interface = iface;
      break;
    }
    case 3:
      set(root, pick(random, ["optimizer", "loss", "seed"]));
      break;
    default:
      if (random.next() < 0.5) layers.splice(random.int(layers.length - 1), 0, clone(hiddenLayer) as never);
      else if (layers.length > 2) layers.splice(random.int(layers.length - 1), 1);
  }
  return true;
}

function randomSpec(random: Random): unknown {
  const maybe = (v: () => unknown) => random.next() < 0.8 ? v() : undefined;
  const layers = Array.from({ length: random.int(5) }, () => ({
    type: maybe(() => pick(random, ["dense", "dense", "dense", "conv", 3])),
    units: maybe(() => pick(random, [1, 2, 3, 8, 16, 0, -2, 2.5, "4", 1e9])),
    activation: maybe(() => pick(random, ["linear", "relu", "tanh", "sigmoid", "softmax"])),
    batchNorm: maybe(() => pick(random, [true, false, "yes"])),
    interface: maybe(() => pick(random, PALETTE)),
    optimizer: random.next() < 0.1 ? pick(random, PALETTE) : undefined,
  }));
  return {
    input: maybe(() => pick(random, [[8], [8], [2, 4], [2, 4], [0], [], ["8"], 8, [1e9]])),
    layers,
    loss: maybe(() => pick(random, ["softmax-cross-entropy", "mse", "hinge", { type: "mse" }, { name: "mse" }])),
    optimizer: maybe(() => pick(random, PALETTE)),
    seed: maybe(() => pick(random, [0, 1, -5, 1.5, "0", 1e300])),
  };
}

// The examples with MNIST's 784 inputs and 256 units shrunk (most of the time), so the fuzz stays fast.
function shrunk(random: Random, spec: unknown): unknown {
  if (random.next() < 0.1) return clone(spec);
  return JSON.parse(JSON.stringify(spec), (_, v) => v === 784 ? 12 : v === 256 ? 8 : v);
}

function describe(spec: unknown): string {
  return JSON.stringify(spec, (_, v) => typeof v === "number" && !Number.isFinite(v) ? String(v) : v);
}

Deno.test(`buildNetwork() on ${CASES} random and mutated specs builds a working network or throws a SpecError`, async () => {
  const dir = new URL("../examples/", import.meta.url);
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".json")).sort();
  const examples = await Promise.all(names.map(async (n) => JSON.parse(await Deno.readTextFile(new URL(n, dir)))));
  assert.ok(examples.length >= 10, "the examples are there to mutate");
  const random = new Random(SEED);
  const start = performance.now();
  const outcome = { built: 0, trained: 0, rejected: 0 };
  const messages = new Set<string>();
  let slowest = { ms: 0, spec: "" };
  for (let i = 0; i < CASES; i++) {
    let spec: unknown;
    if (random.next() < 0.3) spec = randomSpec(random);
    else {
      spec = shrunk(random, pick(random, examples));
      for (let m = 1 + random.int(3); m > 0; m--) spec = mutate(random, spec);
    }
    const text = describe(spec);
    const tensors = tf.memory().numTensors;
    const caseStart = performance.now();
    let net: ReturnType<typeof buildNetwork>;
    try {
      net = buildNetwork(spec as NetworkSpec);
    } catch (error) {
      assert.ok(error instanceof SpecError, `case ${i}: ${(error as Error).stack}\nspec: ${text}`);
      assert.match(error.message, /^Invalid spec: \S+ .+, got .*/s);
      messages.add(error.message.replace(/got .*/s, ""));
      assert.equal(tf.memory().numTensors, tensors, `case ${i}: a rejected spec left tensors behind: ${text}`);
      outcome.rejected++;
      continue;
    }
    outcome.built++;
    try {
      const x = tf.randomUniform([3, net.inputUnits], 0, 1, "float32", i) as tf.Tensor2D;
      const labels = tf.tidy(() =>
        tf.oneHot(tf.tensor1d([0, 1, 2], "int32"), net.outputUnits).toFloat() as tf.Tensor2D
      );
      try {
        // A sequence spec (input [features], an lstm first) builds a sequence network: one batch of 3 sequences.
        const { loss } = net.kind === "sequence" ? sequenceStep(net, i) : net.trainStep(x, labels);
        assert.equal(typeof loss, "number");
        outcome.trained++;
      } catch (error) {
        assert.ok(error instanceof DivergenceError, `case ${i}: ${(error as Error).stack}\nspec: ${text}`);
      } finally {
        tf.dispose([x, labels]);
      }
    } finally {
      net.dispose();
    }
    assert.equal(tf.memory().numTensors, tensors, `case ${i}: tensors left after dispose: ${text}`);
    const ms = performance.now() - caseStart;
    if (ms > slowest.ms) slowest = { ms, spec: text };
  }
  const seconds = (performance.now() - start) / 1000;
  // Both outcomes are common, so the fuzz exercises both the validation and the built networks.
  assert.ok(outcome.built >= CASES / 10 && outcome.rejected >= CASES / 4, JSON.stringify(outcome));
  assert.ok(outcome.trained >= outcome.built * 0.9, JSON.stringify(outcome));
  assert.ok(messages.size >= 20, `${messages.size} distinct errors`);
  assert.ok(seconds < 50, `${seconds.toFixed(1)} s; slowest case ${slowest.ms.toFixed(0)} ms: ${slowest.spec}`);
  console.log(`fuzz: ${JSON.stringify(outcome)}, ${messages.size} distinct errors, ${seconds.toFixed(1)} s`);
});
