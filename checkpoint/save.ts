/**
 * `saveCheckpoint`: a network's spec, variables and (optionally) optimizer state to a directory, written aside and
 * renamed into place, so that a checkpoint is never half-written and an existing one is never lost.
 *
 * @module
 */
import { join } from "node:path";
import { MAX_JSON_FILE_BYTES, readRegularTextFile } from "../_files.ts";
import { backendInfo } from "../backend.ts";
import { CheckpointError, PluginError, show } from "../errors.ts";
import type { Network } from "../network/network.ts";
import { pluginSha256 } from "../network/plugins.ts";
import { sha256 } from "../datasets/files.ts";
import { type FileOps, replaceDirectory } from "./_replace_directory.ts";
import { cleanDeadSaves, SaveLockBusy, takeSaveLock } from "./_save_guard.ts";
import { carriedStates, networkOptimizerState, networkVariables } from "./contents.ts";
import {
  type ArrayEntry,
  assertLittleEndian,
  CHECKPOINT_DTYPES,
  CHECKPOINT_FILES,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointManifest,
  type PluginEntry,
} from "./format.ts";

/** Options of `saveCheckpoint`. */
export interface SaveCheckpointOptions extends FileOps {
  /**
   * Also save the optimizer state (each optimizer's slots and step count, each interface's training state), so
   * that training resumes exactly where it stopped. @default {true}
   */
  optimizerState?: boolean;
  /**
   * How long to wait while another live process saves to the same directory, in milliseconds; then this network is
   * saved to a sibling `NAME.conflict-PID-ID` instead and a `CheckpointError` names it. @default {60000}
   */
  lockWaitMs?: number;
}

/**
 * Saves `network` to the directory `dir` (see `checkpoint/format.ts` for the files). A sequence network's task
 * stream (`network.stream`) and the state its recurrent layers carry into the next batch are saved too, with or
 * without the optimizer state. Everything is written into a
 * sibling temporary directory first, then renamed into place; a checkpoint already at `dir` is replaced only once
 * the new one is complete, and stays as it was if anything fails. Saves to one directory take turns (a lock file
 * beside it, `.NAME.lock`), and each cleans what a save killed midway left beside it.
 *
 * @param network The network.
 * @param dir The checkpoint directory; created, or replaced if it holds a checkpoint.
 * @param options Whether to save the optimizer state.
 * @returns The manifest written.
 * @throws {CheckpointError} If `dir` exists and is not a checkpoint (it is never overwritten), a plugin module's
 *   source cannot be read (before anything is written), or writing fails.
 * @throws {TypeError} If `optimizerState` is on and an optimizer cannot export its state.
 *
 * @example Save, then load into a new network
 * ```ts
 * import { buildNetwork } from "../network/build.ts";
 * import { loadCheckpoint } from "./load.ts";
 * import { saveCheckpoint } from "./save.ts";
 * const net = buildNetwork({ input: [4], layers: [{ type: "dense", units: 8, interface: "csg" }, { type: "dense", units: 2 }] });
 * const dir = `${await Deno.makeTempDir()}/ckpt`;
 * const manifest = await saveCheckpoint(net, dir);
 * const copy = await loadCheckpoint(dir);
 * console.assert(copy.getSpec().layers[0]?.units === 8 && manifest.variables[0]?.name === "layers[0].kernel");
 * net.dispose();
 * copy.dispose();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function saveCheckpoint(
  network: Network,
  dir: string,
  options: SaveCheckpointOptions = {},
): Promise<CheckpointManifest> {
  const { optimizerState = true, lockWaitMs, ...ops } = options;
  assertLittleEndian();
  await checkSaveTarget(dir);
  const plugins = await pluginEntries(network, dir);
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  const place = (name: string, shape: readonly number[], dtype: string, values: ArrayLike<number>): ArrayEntry => {
    if (!(CHECKPOINT_DTYPES as readonly string[]).includes(dtype)) {
      throw new TypeError(`Cannot save ${name}: dtype ${dtype} is not one of ${CHECKPOINT_DTYPES.join(", ")}`);
    }
    const typed = dtype === "int32" ? Int32Array.from(values) : Float32Array.from(values);
    const entry = { name, shape: [...shape], dtype: dtype as ArrayEntry["dtype"], offset: bytes };
    chunks.push(new Uint8Array(typed.buffer));
    bytes += typed.byteLength;
    return entry;
  };
  const variables = networkVariables(network).map(({ name, variable }) =>
    place(name, variable.shape, variable.dtype, variable.dataSync())
  );
  let state: CheckpointManifest["optimizerState"] = null;
  if (optimizerState) {
    const { arrays, counters } = networkOptimizerState(network);
    state = { arrays: arrays.map((a) => place(a.name, a.shape, "float32", a.values)), counters };
  }
  const carried = carriedStates(network).map(({ name, state }) =>
    place(name, state.shape, "float32", state.dataSync())
  );
  const weights = new Uint8Array(bytes);
  let at = 0;
  for (const chunk of chunks) {
    weights.set(chunk, at);
    at += chunk.length;
  }
  const specBytes = new TextEncoder().encode(JSON.stringify(network.getSpec(), null, 2) + "\n");
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    steps: network.steps,
    epochs: network.epochs,
    spec: { file: CHECKPOINT_FILES.spec, sha256: await sha256(specBytes) },
    weights: { file: CHECKPOINT_FILES.weights, bytes, sha256: await sha256(weights) },
    variables,
    optimizerState: state,
    ...(network.stream === undefined ? {} : { stream: structuredClone(network.stream) }),
    ...(carried.length === 0 ? {} : { carried }),
    ...(network.epochProgress === undefined ? {} : { position: structuredClone(network.epochProgress) }),
    ...(plugins.length === 0 ? {} : { plugins }),
    savedWith: { ...backendInfo() },
  };
  const files = [
    { name: CHECKPOINT_FILES.weights, bytes: weights },
    { name: CHECKPOINT_FILES.spec, bytes: specBytes },
    { name: CHECKPOINT_FILES.manifest, bytes: new TextEncoder().encode(JSON.stringify(manifest, null, 2) + "\n") },
  ];
  let release: () => Promise<void>;
  try {
    release = await takeSaveLock(dir, lockWaitMs);
  } catch (error) {
    if (!(error instanceof SaveLockBusy)) throw error;
    // Never lose a finished run's weights: save them beside the directory another process is saving to.
    const aside = `${dir.replace(/\/+$/, "")}.conflict-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
    await replaceDirectory(aside, files, ops);
    throw new CheckpointError(
      dir,
      `${error.message}; this network was saved to ${aside} instead`,
    );
  }
  try {
    await cleanDeadSaves(dir);
    await checkSaveTarget(dir); // again: another process may have saved something else there meanwhile
    await replaceDirectory(dir, files, ops);
  } finally {
    await release();
  }
  return manifest;
}

// Each plugin module the network was built with, and the SHA-256 of its source now: before anything is written.
async function pluginEntries(network: Network, dir: string): Promise<PluginEntry[]> {
  const entries: PluginEntry[] = [];
  for (const url of network.plugins) {
    try {
      entries.push({ url, sha256: await pluginSha256(url) });
    } catch (error) {
      // pluginSha256's PluginError says "Cannot load plugin X: <problem>"; here nothing is loaded.
      const problem = error instanceof PluginError
        ? error.message.slice(`Cannot load plugin ${show(error.module)}: `.length)
        : (error as Error).message;
      throw new CheckpointError(
        dir,
        `cannot record the plugin module ${url}, which the network was built with: ${problem}`,
        { cause: error },
      );
    }
  }
  return entries;
}

/**
 * Checks that a checkpoint may be saved at `dir`: it does not exist, is an empty directory, or holds a checkpoint
 * (a manifest of format `dni-checkpoint`, of any version, even a corrupt one) and nothing else. Anything else is
 * never overwritten. (The CLI calls it before training.)
 *
 * @throws {CheckpointError} Naming what is in the way.
 */
export async function checkSaveTarget(dir: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw new CheckpointError(dir, `cannot be read (${(error as Error).message})`, { cause: error });
  }
  const refuse = (why: string): never => {
    throw new CheckpointError(dir, `${why}; not replacing it (remove it or choose another directory)`);
  };
  if (!info.isDirectory) refuse("exists and is not a directory");
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  if (names.length === 0) return;
  const known: string[] = Object.values(CHECKPOINT_FILES);
  const stranger = names.find((n) => !known.includes(n));
  if (stranger !== undefined) refuse(`holds ${show(stranger)}, which is not part of a checkpoint`);
  const manifestPath = join(dir, CHECKPOINT_FILES.manifest);
  let text: string;
  try {
    text = await readRegularTextFile(manifestPath, {
      what: "a manifest",
      maxBytes: MAX_JSON_FILE_BYTES,
      fail: (problem, cause) =>
        new Error(
          cause instanceof Deno.errors.NotFound
            ? `exists and has no ${CHECKPOINT_FILES.manifest}`
            : `has a ${CHECKPOINT_FILES.manifest} that ${problem}`,
        ),
    });
  } catch (error) {
    return refuse((error as Error).message);
  }
  let format: unknown;
  try {
    format = JSON.parse(text)?.format;
  } catch {
    // not JSON: not recognisably ours
  }
  if (format !== CHECKPOINT_FORMAT) refuse(`has a ${CHECKPOINT_FILES.manifest} that is not a dni checkpoint's`);
}
