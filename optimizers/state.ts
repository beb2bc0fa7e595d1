/**
 * Training state besides the weights, as named plain data for checkpoints: optimizer slots (moments,
 * accumulators) as arrays, update counts and random streams as counters. Names are paths, e.g.
 * `layers[0].optimizer.kernel.m` and `layers[0].optimizer.steps`.
 *
 * @module
 */
import type { tf } from "../deps.ts";
import type { Optimizer } from "./optimizer.ts";

/** One named array of training state, e.g. an optimizer slot. */
export interface StateArray {
  /** Its path, e.g. `layers[0].optimizer.kernel.m`. */
  name: string;
  /** Its shape (the shape of the variable it belongs to). */
  shape: number[];
  /** Row-major values. */
  values: Float32Array;
}

/** Training state besides the weights: named arrays (optimizer slots) and named counters (steps, random streams). */
export interface TrainingState {
  /** Optimizer slots and the like. */
  arrays: StateArray[];
  /** Integer counters: update counts, random generator states. */
  counters: Record<string, number>;
}

/** An empty state. */
export function emptyState(): TrainingState {
  return { arrays: [], counters: {} };
}

/** Adds `prefix` before every name of `state` (in place) and returns it. */
export function prefixState(state: TrainingState, prefix: string): TrainingState {
  for (const a of state.arrays) a.name = `${prefix}${a.name}`;
  state.counters = Object.fromEntries(Object.entries(state.counters).map(([k, v]) => [`${prefix}${k}`, v]));
  return state;
}

/** The entries of `state` whose names start with `prefix`, with the prefix removed (a new object). */
export function subState(state: TrainingState, prefix: string): TrainingState {
  return {
    arrays: state.arrays.filter((a) => a.name.startsWith(prefix)).map((a) => ({
      ...a,
      name: a.name.slice(prefix.length),
    })),
    counters: Object.fromEntries(
      Object.entries(state.counters).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]),
    ),
  };
}

/**
 * The state of `optimizer` for `variables` (named `names`) as arrays `${prefix}.${name}.${slot}` and the counter
 * `${prefix}.steps`.
 *
 * @throws {TypeError} If the optimizer cannot export its state (a plugin without `getState`).
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { Adam } from "./rules.ts";
 * import { optimizerState } from "./state.ts";
 * const w = tf.variable(tf.zeros([2]));
 * const adam = new Adam(0.1, 0.9, 0.999, 1e-7);
 * adam.apply([w], [tf.ones([2])]);
 * const state = optimizerState(adam, [w], ["kernel"], "layers[0].optimizer");
 * console.assert(state.counters["layers[0].optimizer.steps"] === 1);
 * console.assert(state.arrays.map((a) => a.name).join() === "layers[0].optimizer.kernel.m,layers[0].optimizer.kernel.v");
 * adam.dispose();
 * w.dispose();
 * ```
 */
export function optimizerState(
  optimizer: Optimizer,
  variables: readonly tf.Variable[],
  names: readonly string[],
  prefix: string,
): TrainingState {
  if (!optimizer.getState || !optimizer.slotNames) {
    throw new TypeError(`The optimizer of ${prefix} cannot export its state (it has no getState/slotNames)`);
  }
  const slotNames = optimizer.slotNames;
  const { steps, slots } = optimizer.getState(variables);
  return {
    arrays: variables.flatMap((v, i) =>
      slotNames.map((slot, k) => ({
        name: `${prefix}.${names[i]}.${slot}`,
        shape: [...v.shape],
        values: slots[i]![k]!,
      }))
    ),
    counters: { [`${prefix}.steps`]: steps },
  };
}

/**
 * Gives `optimizer` back the state that `optimizerState` exported under the same names, reading it from `state`.
 *
 * @throws {TypeError} If the optimizer cannot import state.
 * @throws {RangeError} If a name is missing from `state`.
 */
export function setOptimizerState(
  optimizer: Optimizer,
  variables: readonly tf.Variable[],
  names: readonly string[],
  prefix: string,
  state: TrainingState,
): void {
  if (!optimizer.setState || !optimizer.slotNames) {
    throw new TypeError(`The optimizer of ${prefix} cannot import state (it has no setState/slotNames)`);
  }
  const slotNames = optimizer.slotNames;
  const byName = new Map(state.arrays.map((a) => [a.name, a.values]));
  const find = (name: string) => {
    const values = byName.get(name);
    if (values === undefined) throw new RangeError(`Training state has no array ${name}`);
    return values;
  };
  const steps = state.counters[`${prefix}.steps`];
  if (steps === undefined) throw new RangeError(`Training state has no counter ${prefix}.steps`);
  optimizer.setState(variables, {
    steps,
    slots: names.map((name) => slotNames.map((slot) => find(`${prefix}.${name}.${slot}`))),
  });
}
