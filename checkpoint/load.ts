/**
 * Loading a checkpoint: `loadCheckpoint` builds the network it was saved from; `loadWeights` loads it into an
 * existing network of the same spec.
 *
 * @module
 */
import { join } from "node:path";
import { CheckpointError, SpecError } from "../errors.ts";
import { buildNetwork } from "../network/build.ts";
import type { Network } from "../network/network.ts";
import { defaultRegistries, type Registries } from "../network/registries.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { checkPlugins, missingPluginsHint } from "./_plugins.ts";
import { specDifference } from "./_spec_diff.ts";
import type { CheckpointManifest } from "./format.ts";
import { type Checkpoint, readCheckpoint } from "./read.ts";
import { restoreCheckpoint, type RestoreOptions } from "./restore.ts";

/** Options of `loadCheckpoint`. */
export interface LoadCheckpointOptions extends RestoreOptions {
  /**
   * Where the spec's names are looked up: load the plugin modules the checkpoint recorded into them first
   * (`loadPlugins`). Loading a checkpoint never imports a module itself. @default {defaultRegistries}
   */
  registries?: Registries;
  /**
   * Load a checkpoint whose recorded plugin module is loaded in `registries` with other source (another SHA-256)
   * anyway, with a warning (`onWarning`); by default that is a `CheckpointError`. @default {false}
   */
  allowPluginChange?: boolean;
  /** Where the warning of `allowPluginChange` goes, one line. @default {console.warn} */
  onWarning?: (message: string) => void;
}

/**
 * Loads the checkpoint in `dir`: builds the network from its `spec.json` and gives it the saved variables, step
 * count, epochs, (when saved) optimizer state and, for a sequence network, its task stream and carried state. Its
 * predictions are those of the network that was saved, and training it further continues exactly as the saved one
 * would have (on the same backend).
 *
 * @param dir A directory written by `saveCheckpoint`.
 * The checkpoint records the plugin modules the network was built with (URL and SHA-256 of their source); they
 * are never imported from it. Load them into `registries` first: if the spec names something they register and
 * they are not loaded, the error names them; if one is loaded from its URL but its source changed since the save,
 * it is refused (unless `allowPluginChange`).
 *
 * @param dir A directory written by `saveCheckpoint`.
 * @param options Registries for plugin names; whether to restore the optimizer state; whether a changed plugin
 *   may run.
 * @returns The network.
 * @throws {CheckpointError} If a file is missing or corrupt, the format or version is unknown, the weights do
 *   not match the spec, the spec names a plugin's interface that is not loaded (naming the module to load), or a
 *   recorded plugin's source changed; the message names the file and what does not match.
 *
 * @example
 * ```ts
 * import { buildNetwork } from "../network/build.ts";
 * import { loadCheckpoint } from "./load.ts";
 * import { saveCheckpoint } from "./save.ts";
 * const net = buildNetwork({ input: [3], layers: [{ type: "dense", units: 2 }] });
 * const dir = `${await Deno.makeTempDir()}/ckpt`;
 * await saveCheckpoint(net, dir);
 * const copy = await loadCheckpoint(dir);
 * console.assert(copy.layers[0]!.trainable[0]!.dataSync().join() === net.layers[0]!.trainable[0]!.dataSync().join());
 * net.dispose();
 * copy.dispose();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadCheckpoint(dir: string, options: LoadCheckpointOptions = {}): Promise<Network> {
  return networkFromCheckpoint(await readCheckpoint(dir), options);
}

/**
 * Builds the network of a checkpoint already read (`readCheckpoint`), as `loadCheckpoint` does: for a caller that
 * also wants the manifest (e.g. whether it records its epochs).
 *
 * @param checkpoint A checkpoint read by `readCheckpoint`.
 * @param options Registries for plugin names; whether to restore the optimizer state; whether a changed plugin
 *   may run.
 * @returns The network.
 * @throws {CheckpointError} If the spec cannot be built (naming the recorded plugins that are not loaded), a
 *   recorded plugin's source changed, or the weights do not match the spec.
 *
 * @example
 * ```ts
 * import { buildNetwork } from "../network/build.ts";
 * import { networkFromCheckpoint } from "./load.ts";
 * import { type Checkpoint, readCheckpoint } from "./read.ts";
 * import { saveCheckpoint } from "./save.ts";
 * const net = buildNetwork({ input: [3], layers: [{ type: "dense", units: 2 }] });
 * net.epochs = 4;
 * const dir = `${await Deno.makeTempDir()}/ckpt`;
 * await saveCheckpoint(net, dir);
 * const checkpoint = await readCheckpoint(dir);
 * const copy = networkFromCheckpoint(checkpoint);
 * console.assert(checkpoint.manifest.epochs === 4 && copy.epochs === 4);
 * net.dispose();
 * copy.dispose();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function networkFromCheckpoint(checkpoint: Checkpoint, options: LoadCheckpointOptions = {}): Network {
  const { registries = defaultRegistries, allowPluginChange, onWarning, ...restore } = options;
  const missing = checkPlugins(checkpoint, registries, { allowPluginChange, onWarning });
  let network: Network;
  try {
    // No more than the manifest holds: a spec edited to ask for more fails before it has taken it.
    const held = checkpoint.manifest.variables.reduce((n, v) => n + v.shape.reduce((a, d) => a * d, 1), 0);
    network = buildNetwork(checkpoint.spec, { registries, maxValues: held });
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    throw new CheckpointError(
      join(checkpoint.dir, checkpoint.manifest.spec.file),
      `cannot be built: ${error.message}${missingPluginsHint(missing, error.message)}`,
      { cause: error },
    );
  }
  try {
    restoreCheckpoint(network, checkpoint, restore);
  } catch (error) {
    network.dispose();
    throw error;
  }
  return network;
}

/**
 * Loads the checkpoint in `dir` into `network`, which must have the spec it was saved with (the seed aside).
 * Nothing is changed unless everything matches.
 *
 * @param network The network to load into.
 * @param dir A directory written by `saveCheckpoint`.
 * @param options Whether to restore the optimizer state.
 * @returns The checkpoint's manifest.
 * @throws {CheckpointError} As `loadCheckpoint`, and if the checkpoint's spec is another network's (naming the
 *   first field that differs).
 */
export async function loadWeights(
  network: Network,
  dir: string,
  options: RestoreOptions = {},
): Promise<CheckpointManifest> {
  const checkpoint = await readCheckpoint(dir);
  const difference = specDifference(withoutSeed(checkpoint.spec), withoutSeed(network.getSpec()));
  if (difference) {
    throw new CheckpointError(
      join(dir, checkpoint.manifest.spec.file),
      `is the spec of another network: ${difference}`,
    );
  }
  restoreCheckpoint(network, checkpoint, options);
  return checkpoint.manifest;
}

function withoutSeed(spec: NetworkSpec): Omit<NetworkSpec, "seed"> {
  const { seed: _, ...rest } = spec;
  return rest;
}
