/**
 * `restoreCheckpoint`: copies a checked checkpoint into a network whose variables it matches by name, shape and
 * dtype. Every mismatch is found before anything is changed, so a network is never left half-loaded.
 *
 * @module
 */
import { join } from "node:path";
import { tf } from "../deps.ts";
import { CheckpointError } from "../errors.ts";
import type { Network } from "../network/network.ts";
import type { TrainingState } from "../optimizers/state.ts";
import { isRecurrent } from "../recurrent/recurrent_layer.ts";
import { networkOptimizerState, networkVariables, setNetworkOptimizerState } from "./contents.ts";
import { type ArrayEntry, assertLittleEndian, CHECKPOINT_FILES } from "./format.ts";
import type { Checkpoint } from "./read.ts";

/** Options of `restoreCheckpoint` (and of the loaders). */
export interface RestoreOptions {
  /**
   * Restore the optimizer state: `true` requires the checkpoint to have it, `false` leaves the network's own.
   * @default {restored when the checkpoint has it}
   */
  optimizerState?: boolean;
}

/**
 * Copies the checkpoint's variables (and optimizer state, step count and epochs) into `network`. A checkpoint that
 * does not record its epochs (saved by an earlier dni) sets `network.epochs` to 0. A sequence network also gets the
 * checkpoint's task stream (`network.stream`) and each recurrent layer its carried state (none where the checkpoint
 * has none); a boundary that was waiting for its message is dropped.
 *
 * @throws {CheckpointError} If an array is missing, extra, or of another shape or dtype than the network's
 *   (naming it, with both shapes), a carried state is not a recurrent layer's, or the optimizer state is asked for
 *   but absent.
 */
export function restoreCheckpoint(network: Network, checkpoint: Checkpoint, options: RestoreOptions = {}): void {
  assertLittleEndian();
  const { manifest, weights } = checkpoint;
  const manifestPath = join(checkpoint.dir, CHECKPOINT_FILES.manifest);
  const fail = (problem: string): never => {
    throw new CheckpointError(manifestPath, problem);
  };
  const useState = options.optimizerState ?? manifest.optimizerState !== null;
  if (useState && manifest.optimizerState === null) fail("has no optimizer state (it was saved without it)");

  const variables = networkVariables(network);
  match(
    "variable",
    variables.map(({ name, variable }) => ({ name, shape: variable.shape, dtype: variable.dtype })),
    manifest.variables,
    fail,
  );
  let state: TrainingState | undefined;
  if (useState) {
    const saved = manifest.optimizerState!;
    const expected = networkOptimizerState(network);
    match(
      "optimizer state array",
      expected.arrays.map((a) => ({ ...a, dtype: "float32" })),
      saved.arrays,
      fail,
    );
    for (const name of Object.keys(expected.counters)) {
      if (!(name in saved.counters)) fail(`lacks the optimizer state counter ${name} that the network has`);
    }
    for (const name of Object.keys(saved.counters)) {
      if (!(name in expected.counters)) {
        fail(`has the optimizer state counter ${name}, which the network does not have`);
      }
    }
    state = {
      arrays: saved.arrays.map((e) => ({ name: e.name, shape: e.shape, values: values(weights, e) as Float32Array })),
      counters: saved.counters,
    };
  }
  const carried = matchCarried(network, manifest.carried ?? [], fail);
  const byName = new Map(manifest.variables.map((e) => [e.name, e]));
  tf.tidy(() => {
    for (const { name, variable } of variables) {
      const entry = byName.get(name)!;
      variable.assign(tf.tensor(values(weights, entry), entry.shape, entry.dtype));
    }
  });
  if (state) setNetworkOptimizerState(network, state);
  network.steps = manifest.steps;
  network.epochs = manifest.epochs ?? 0;
  network.stream = manifest.stream === undefined ? undefined : structuredClone(manifest.stream);
  network.epochProgress = manifest.position === undefined ? undefined : structuredClone(manifest.position);
  network.layers.forEach((layer, j) => {
    if (!isRecurrent(layer)) return;
    layer.resetState();
    const entry = carried.get(j);
    if (entry) layer.carried = tf.tensor2d(values(weights, entry) as Float32Array, entry.shape as [number, number]);
  });
}

// The carried states by layer, each checked to be a recurrent layer's `[B, 2 units]` (B >= 1).
function matchCarried(
  network: Network,
  found: ArrayEntry[],
  fail: (problem: string) => never,
): Map<number, ArrayEntry> {
  const byLayer = new Map<number, ArrayEntry>();
  for (const entry of found) {
    const j = Number(/^layers\[(\d+)\]\.carried$/.exec(entry.name)?.[1]);
    const layer = network.layers[j];
    if (layer === undefined || !isRecurrent(layer)) {
      fail(`has the carried state ${entry.name}, which the network does not have (no recurrent layer ${j})`);
    }
    const units = layer!.units;
    const [b, width] = entry.shape;
    if (entry.shape.length !== 2 || !(b! >= 1) || width !== 2 * units) {
      fail(`carried state ${entry.name} has shape [${entry.shape}], the network expects [B, ${2 * units}] (B >= 1)`);
    }
    byLayer.set(j, entry);
  }
  return byLayer;
}

// Checks that `found` has exactly the arrays of `expected`, each of the same shape and dtype.
function match(
  what: string,
  expected: { name: string; shape: readonly number[]; dtype: string }[],
  found: ArrayEntry[],
  fail: (problem: string) => never,
): void {
  const byName = new Map(found.map((e) => [e.name, e]));
  for (const e of expected) {
    const f = byName.get(e.name);
    if (f === undefined) fail(`lacks the ${what} ${e.name} (shape [${e.shape}]) that the network has`);
    if (f!.shape.length !== e.shape.length || f!.shape.some((d, i) => d !== e.shape[i])) {
      fail(`${what} ${e.name} has shape [${f!.shape}], the network expects [${e.shape}]`);
    }
    if (f!.dtype !== e.dtype) fail(`${what} ${e.name} has dtype ${f!.dtype}, the network expects ${e.dtype}`);
  }
  const names = new Set(expected.map((e) => e.name));
  for (const f of found) {
    if (!names.has(f.name)) fail(`has the ${what} ${f.name}, which the network does not have`);
  }
}

// The values of one array, copied out of the weights file (little-endian, as written).
function values(weights: Uint8Array, entry: ArrayEntry): Float32Array | Int32Array {
  const size = entry.shape.reduce((n, d) => n * d, 1);
  const bytes = weights.slice(entry.offset, entry.offset + 4 * size);
  return entry.dtype === "int32" ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer);
}
