// Private: what every part of the conformance suite builds on. The interface under test, built the way
// `buildNetwork` builds it, small seeded batches, a tiny network spec that binds it to two hidden layers, and
// helpers that describe what a call gave back.
import { tf } from "../deps.ts";
import { syntheticDataset } from "../datasets/synthetic.ts";
import type { Dataset } from "../datasets/dataset.ts";
import type { InterfaceConfig, InterfaceContext, InterfaceFactory, NeuralInterface } from "../interfaces/interface.ts";
import type { Shape } from "../layers/layer.ts";
import type { Registries } from "../network/registries.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { Random } from "../random.ts";
import { Registry } from "../registry.ts";

/** The interface under test and the sizes every part uses. */
export interface Fixture {
  /** The name the interface is registered under. */
  name: string;
  factory: InterfaceFactory;
  /** The config it is built from. */
  config: InterfaceConfig;
  /** Registries for everything but interfaces (optimizers for an interface's own optimizer). */
  registries: Registries;
  seed: number;
  /** Shape of the trigger, one example (`[units]`). */
  shape: Shape;
  /** Values per example of the trigger. */
  units: number;
  /** Number of classes (width of the labels). */
  classes: number;
}

/** A contract violation: the message says what was expected and what came instead. */
export class Violation extends Error {
  override name = "Violation";
}

/** The factory context `buildNetwork` would give an interface on layer 0, seeded. */
export function factoryContext(f: Fixture, seed = f.seed): InterfaceContext {
  const optimizer = f.registries.optimizers.get("adam").validate({ type: "adam", learningRate: 0.01 }, "optimizer");
  return {
    shape: [...f.shape],
    units: f.units,
    contextUnits: f.classes,
    path: "layers[0].interface",
    random: new Random(seed),
    optimizer,
    optimizers: f.registries.optimizers,
  };
}

/** Builds the interface from `config` (a copy: the factory may not keep the caller's object). */
export function build(f: Fixture, config: InterfaceConfig = f.config): NeuralInterface {
  return call("the factory", () => f.factory(structuredClone(config), factoryContext(f)));
}

/** A seeded batch: trigger and message [rows, ...shape], one-hot labels [rows, classes]. Caller disposes. */
export function batch(
  f: Fixture,
  rows: number,
  seed: number,
): { trigger: tf.Tensor; message: tf.Tensor; labels: tf.Tensor2D } {
  return tf.tidy(() => ({
    trigger: tf.randomNormal([rows, ...f.shape], 0, 1, "float32", seed),
    message: tf.mul(tf.randomNormal([rows, ...f.shape], 0, 1, "float32", seed + 1), 1 / rows),
    labels: tf.oneHot(tf.tensor1d(Array.from({ length: rows }, (_, i) => (i + seed) % f.classes), "int32"), f.classes)
      .toFloat() as tf.Tensor2D,
  }));
}

/** A network spec binding the interface to both hidden layers (input 8, hidden 12 and 12, `classes` outputs). */
export function networkSpec(f: Fixture): NetworkSpec {
  return {
    input: [8],
    layers: [
      { type: "dense", units: 12, activation: "tanh", interface: structuredClone(f.config) },
      { type: "dense", units: 12, activation: "relu", interface: structuredClone(f.config) },
      { type: "dense", units: f.classes },
    ],
    loss: "softmax-cross-entropy",
    optimizer: { type: "adam", learningRate: 0.01 },
    seed: f.seed,
  };
}

/** The fixture's registries with an interface registry holding only the interface under test. */
export function networkRegistries(f: Fixture): Registries {
  return { ...f.registries, interfaces: new Registry<InterfaceFactory>("interface").register(f.name, f.factory) };
}

/** A tiny learnable problem for the network spec. */
export function tinyDataset(f: Fixture): Dataset {
  return syntheticDataset({ features: 8, classes: f.classes, trainCount: 240, testCount: 120, seed: f.seed + 1 });
}

/** Runs `fn`; if it throws, throws a Violation saying that `what` threw, and what. */
export function call<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof Violation) throw error;
    throw new Violation(`${what} threw ${errorText(error)}`);
  }
}

/** `Name: message` of a thrown value. */
export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** What a call gave back, for messages: `undefined`, `null`, `a float32 tensor of shape [5,6]`, ... */
export function describe(value: unknown): string {
  if (value instanceof tf.Tensor) return `a ${value.dtype} tensor of shape [${value.shape}]`;
  if (value === undefined || value === null) return String(value);
  if (typeof value === "object") return Array.isArray(value) ? `an array of ${value.length}` : "an object";
  return `a ${typeof value} (${String(value)})`;
}

/** Copies of the values of `variables`, to compare before and after. */
export function snapshot(variables: readonly tf.Variable[]): Float32Array[] {
  return variables.map((v) => Float32Array.from(v.dataSync() as Float32Array));
}

/** The index and size of the largest difference between two snapshots, or undefined when they are equal. */
export function firstDifference(
  a: Float32Array[],
  b: Float32Array[],
): { index: number; difference: number } | undefined {
  if (a.length !== b.length) return { index: Math.min(a.length, b.length), difference: Infinity };
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!;
    if (x.length !== y.length) return { index: i, difference: Infinity };
    let difference = 0;
    for (let j = 0; j < x.length; j++) {
      const d = Object.is(x[j], y[j]) ? 0 : Math.abs(x[j]! - y[j]!);
      difference = Math.max(difference, Number.isNaN(d) ? Infinity : d);
    }
    if (difference > 0) return { index: i, difference };
  }
  return undefined;
}

/** Disposes an interface, ignoring a failure there (the disposal part reports it). */
export function quietDispose(iface: { dispose(): void } | undefined): void {
  try {
    iface?.dispose();
  } catch {
    // reported by the disposal part
  }
}
