// Private: a network's training state besides its weights, as it travels to and from Workers and stage processes:
// the optimizers' slots and step counts, the interfaces' own training state (their synthesizers' optimizers, their
// random streams), the forward-unlock models' optimizers, and the state each recurrent layer carries into the next
// batch (`layers[j].carried`), all under the names a checkpoint gives them (`checkpoint/contents.ts`). The
// coordinator ships the whole of it at start (a stage or replica starts where the network stands: trained, loaded, or
// fresh), and gathers back, from each stage, the part the stage trains (`stageOwns`), checked name by name, length by
// length, before anything is set.
import { tf } from "../deps.ts";
import { carriedStates, networkOptimizerState, setNetworkOptimizerState } from "../checkpoint/contents.ts";
import type { Network } from "../network/network.ts";
import type { StateArray, TrainingState } from "../optimizers/state.ts";
import { isRecurrent } from "../recurrent/recurrent_layer.ts";
import { brief, isRecord } from "./_refusals.ts";

/**
 * The training state of `network`, or a string saying why it cannot be had (an optimizer of a plugin that cannot
 * export its state): the Workers then start from the weights alone, as they did before dni shipped state.
 */
export function trainingStateOf(network: Network): TrainingState | string {
  let state: TrainingState;
  try {
    state = networkOptimizerState(network);
  } catch (error) {
    if (error instanceof TypeError) return error.message;
    throw error;
  }
  for (const { name, state: carried } of carriedStates(network)) {
    state.arrays.push({ name, shape: [...carried.shape], values: carried.dataSync().slice() as Float32Array });
  }
  // Copies: what is shipped is transferred, and an optimizer may hand out its own arrays.
  state.arrays = state.arrays.map((a) => ({ ...a, shape: [...a.shape], values: a.values.slice() }));
  return state;
}

/** Sets `network`'s training state (as `trainingStateOf` gives it): its optimizers' and interfaces', its carried states. */
export function setTrainingState(network: Network, state: TrainingState): void {
  setNetworkOptimizerState(network, state);
  const carried = new Map(state.arrays.filter((a) => a.name.endsWith(".carried")).map((a) => [a.name, a]));
  network.layers.forEach((layer, j) => {
    if (!isRecurrent(layer)) return;
    const entry = carried.get(`layers[${j}].carried`);
    layer.carried = entry === undefined
      ? undefined
      : tf.tensor2d(entry.values.slice(), entry.shape as [number, number]);
  });
}

/**
 * Which names of a training state the stage of layers `lo..hi` trains: its layers' (optimizers, forward-unlock models,
 * interfaces on a recurrent state, carried states) and the interfaces on its layers' outputs up to its boundary's (as
 * `stageVariables` has them; the output layer has none).
 */
export function stageOwns(network: Network, lo: number, hi: number): (name: string) => boolean {
  const last = hi === network.layers.length - 1;
  const top = last ? hi - 1 : hi;
  return (name) => {
    const m = /^(layers|interfaces)\[(\d+)\]\./.exec(name);
    if (m === null) return false;
    const i = Number(m[2]);
    return m[1] === "layers" ? i >= lo && i <= hi : i >= lo && i <= top;
  };
}

/** The part of `state` that `owns` picks. */
export function ownedState(state: TrainingState, owns: (name: string) => boolean): TrainingState {
  return {
    arrays: state.arrays.filter((a) => owns(a.name)),
    counters: Object.fromEntries(Object.entries(state.counters).filter(([name]) => owns(name))),
  };
}

/**
 * What is wrong with the training state a stage sent for the names `owns` picks of `expected` (the network's own), or
 * undefined: it must have exactly those arrays (each a Float32Array of the same length; a carried state may have
 * another number of rows) and counters (finite numbers).
 */
export function stateProblem(
  sent: unknown,
  network: Network,
  expected: TrainingState,
  owns: (name: string) => boolean,
): string | undefined {
  if (!isRecord(sent) || !Array.isArray(sent.arrays) || !isRecord(sent.counters)) {
    return `its training state is ${brief(sent)}, not { arrays, counters }`;
  }
  const want = ownedState(expected, owns);
  const byName = new Map<string, unknown>();
  for (const a of sent.arrays as unknown[]) {
    if (!isRecord(a) || typeof a.name !== "string") return `its training state has the entry ${brief(a)}`;
    byName.set(a.name, a);
  }
  const wanted = new Map(want.arrays.map((a) => [a.name, a.values.length]));
  for (const a of want.arrays) {
    if (!byName.has(a.name) && !a.name.endsWith(".carried")) return `its training state lacks ${a.name}`;
  }
  for (const [name, entry] of byName) {
    const got = entry as Partial<StateArray>;
    // A carried state may be new (the stage's text streams began this epoch) or gone (a batch reset it).
    const width = carriedWidth(network, name);
    const known = wanted.has(name) || (owns(name) && width !== undefined);
    if (!known) return `its training state has ${name}, which the stage does not train`;
    const size = width === undefined ? wanted.get(name) : undefined;
    const ok = got.values instanceof Float32Array && Array.isArray(got.shape) &&
      got.values.length === got.shape.reduce((n: number, d) => n * (Number.isSafeInteger(d) ? d : NaN), 1) &&
      (width === undefined ? got.values.length === size : got.shape.length === 2 && got.shape[1] === width);
    if (!ok) {
      return `its training state's ${name} is ${brief(got.values)} of shape ${brief(got.shape)}, expected ` +
        (width === undefined ? `Float32Array(${size})` : `[B, ${width}]`);
    }
  }
  const counters = sent.counters as Record<string, unknown>;
  for (const name of Object.keys(want.counters)) {
    if (typeof counters[name] !== "number" || !Number.isFinite(counters[name])) {
      return `its training state's counter ${name} is ${brief(counters[name])}, not a number`;
    }
  }
  const strange = Object.keys(counters).find((name) => !(name in want.counters));
  if (strange !== undefined) return `its training state has the counter ${strange}, which the stage does not train`;
  return undefined;
}

/**
 * Sets the parts of the training state gathered from the stages (each checked with `stateProblem`) into `network`;
 * `base`, the network's own state before the gather (the one the parts were checked against), fills in whatever no
 * part holds.
 */
export function mergeTrainingState(network: Network, parts: readonly TrainingState[], base: TrainingState): void {
  const arrays = new Map(base.arrays.filter((a) => !a.name.endsWith(".carried")).map((a) => [a.name, a]));
  const counters = { ...base.counters };
  for (const part of parts) {
    for (const a of part.arrays) arrays.set(a.name, a);
    Object.assign(counters, part.counters);
  }
  setTrainingState(network, { arrays: [...arrays.values()], counters });
}

// The width of the state `name` carries (`layers[j].carried` of a recurrent layer j: 2 units), else undefined.
function carriedWidth(network: Network, name: string): number | undefined {
  const j = /^layers\[(\d+)\]\.carried$/.exec(name)?.[1];
  const layer = j === undefined ? undefined : network.layers[Number(j)];
  return layer !== undefined && isRecurrent(layer) ? 2 * layer.units : undefined;
}
