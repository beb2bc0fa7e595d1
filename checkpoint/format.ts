/**
 * The checkpoint format, version 1: a directory of three files.
 *
 * - `spec.json`: the network's spec, `network.getSpec()` (every default filled in).
 * - `weights.bin`: every array back to back, little-endian, at the byte offsets the manifest gives.
 * - `manifest.json`: the format name and version, the network's step count and epochs trained, the SHA-256 of the
 *   two other files, and every array's name, shape, dtype and byte offset: the network's variables
 *   (`layers[0].kernel`, `interfaces[1].synthesizer.output.kernel`, ...) and, when saved, the optimizer state
 *   (`layers[0].optimizer.kernel.m`) with its counters (`layers[0].optimizer.steps`, `interfaces[1].random`).
 *   A sequence network's manifest also has its task's stream (`stream`: the task, its options, where it stands)
 *   and the state its recurrent layers carry into the next batch (`carried`: `layers[0].carried`, `[B, 2 units]`);
 *   both are optional, and absent from a feed-forward network's. A network built with plugin modules (`loadPlugin`)
 *   records each one's URL and the SHA-256 of its source (`plugins`); absent when it had none. A checkpoint saved
 *   inside an epoch (a run interrupted, or saved every N steps) has `position`: the batches of the next epoch
 *   trained, and that epoch's sums so far.
 *
 * `parseManifest` checks everything a manifest says before anything is loaded, including that the arrays tile the
 * weights file exactly: from byte 0, back to back, no overlap, no gap, ending at its last byte.
 *
 * @module
 */
import { isRecord } from "../_validate.ts";
import { CheckpointError, show } from "../errors.ts";
import type { SequenceStream } from "../recurrent/sequence_feed.ts";
import { parseStream } from "./_stream_format.ts";
import { type EpochProgress, epochProgressProblem } from "../network/epoch_progress.ts";

/** The format name in every manifest. */
export const CHECKPOINT_FORMAT = "dni-checkpoint";
/** The version this code writes and reads. */
export const CHECKPOINT_VERSION = 1;
/** The file names inside a checkpoint directory. */
export const CHECKPOINT_FILES = { manifest: "manifest.json", spec: "spec.json", weights: "weights.bin" } as const;

/** The longest plugin URL a manifest may record. */
const MAX_PLUGIN_URL_LENGTH = 4096;

/** The dtypes an array may have (4 bytes per value). */
export const CHECKPOINT_DTYPES = ["float32", "int32"] as const;

/** Where one array lies in the weights file. */
export interface ArrayEntry {
  /** Its path, e.g. `layers[0].kernel`. */
  name: string;
  /** Its shape. */
  shape: number[];
  /** `float32` (or `int32`). */
  dtype: "float32" | "int32";
  /** Byte offset in the weights file (a multiple of 4). */
  offset: number;
}

/**
 * A plugin module the network was built with: data only, never imported by loading the checkpoint. Loading compares
 * it with the modules the caller loaded (`--plugin`, `loadPlugin`).
 */
export interface PluginEntry {
  /** Its URL, as `network.plugins` has it (resolved: `file:///home/me/drtp.ts`). */
  url: string;
  /** The SHA-256 (hex) of its source when the checkpoint was saved. */
  sha256: string;
}

/** The contents of `manifest.json`. */
export interface CheckpointManifest {
  /** Always `"dni-checkpoint"`. */
  format: typeof CHECKPOINT_FORMAT;
  /** The format version, 1. */
  version: number;
  /** The network's training step count when saved. */
  steps: number;
  /**
   * The number of the last epoch `train()` had completed when saved (`network.epochs`), which a resumed run numbers
   * on from. Absent in checkpoints saved before dni recorded it: unknown, and such a checkpoint loads as 0 epochs.
   */
  epochs?: number;
  /** The spec file and its SHA-256 (hex). */
  spec: { file: string; sha256: string };
  /** The weights file, its length in bytes and its SHA-256 (hex). */
  weights: { file: string; bytes: number; sha256: string };
  /** The network's variables: layer weights and state, then interface variables. */
  variables: ArrayEntry[];
  /** The optimizer state (slots, step counts, random streams), or null when saved without it. */
  optimizerState: { arrays: ArrayEntry[]; counters: Record<string, number> } | null;
  /**
   * A sequence network's task stream (`network.stream`: the task, the text's source, the options, where the stream
   * stands), which a resumed `train()` goes on from. Absent for a feed-forward network and an untrained one.
   */
  stream?: SequenceStream;
  /**
   * The state `[h, c]` each recurrent layer carries into the next batch of a text stream, one array named
   * `layers[j].carried` of shape `[B, 2 units]` per layer that holds one. Absent when none does.
   */
  carried?: ArrayEntry[];
  /**
   * Where training stood inside epoch `epochs + 1` when it was saved there (a run interrupted, or `--save-every`):
   * the batches of it trained and its running sums, which a resumed `train()` goes on from. Absent when saved at an
   * epoch's end.
   */
  position?: EpochProgress;
  /**
   * The plugin modules the network was built with (`network.plugins`), each with the SHA-256 of its source at the
   * save, in the order they were loaded. Absent when it had none, and in checkpoints saved before dni recorded them.
   */
  plugins?: PluginEntry[];
  /** Informative only: the backend and library versions that wrote it. */
  savedWith?: Record<string, string | number>;
}

/**
 * Parses and checks the text of a manifest.
 *
 * @param text The file's text.
 * @param path The file's path, for messages.
 * @returns The manifest.
 * @throws {CheckpointError} If it is not JSON, not a dni checkpoint, of another version, or any field is invalid
 *   (the message names the field and the value).
 *
 * @example
 * ```ts
 * import { parseManifest } from "./format.ts";
 * try {
 *   parseManifest('{"format": "dni-checkpoint", "version": 9}', "ckpt/manifest.json");
 * } catch (e) {
 *   console.assert(/format version 9/.test((e as Error).message));
 * }
 * ```
 */
export function parseManifest(text: string, path: string): CheckpointManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(path, `is not valid JSON (${(error as Error).message})`);
  }
  const fail = (field: string, value: unknown, problem: string): never => {
    throw new CheckpointError(path, `${field} ${problem}, got ${show(value)}`);
  };
  if (!isRecord(raw)) return fail("the manifest", raw, "must be a JSON object");
  if (raw.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(path, `is not a dni checkpoint manifest (format ${show(raw.format)})`);
  }
  if (raw.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(
      path,
      `has format version ${show(raw.version)}; this version of dni reads version ${CHECKPOINT_VERSION}`,
    );
  }
  const count = (field: string, value: unknown) =>
    typeof value === "number" && Number.isSafeInteger(value) && value >= 0
      ? value
      : fail(field, value, "must be an integer >= 0");
  const record = (field: string, value: unknown) => isRecord(value) ? value : fail(field, value, "must be an object");
  const fileName = (field: string, value: unknown) =>
    typeof value === "string" && /^[\w][\w.-]*$/.test(value) ? value : fail(field, value, "must be a plain file name");
  const digest = (field: string, value: unknown) =>
    typeof value === "string" && /^[0-9a-f]{64}$/.test(value) ? value : fail(field, value, "must be a SHA-256 (hex)");

  const spec = record("spec", raw.spec);
  const weights = record("weights", raw.weights);
  const bytes = count("weights.bytes", weights.bytes);
  const entries = (field: string, value: unknown): ArrayEntry[] => {
    if (!Array.isArray(value)) return fail(field, value, "must be an array");
    const seen = new Set<string>();
    return value.map((e: unknown, i: number) => {
      const at = `${field}[${i}]`;
      const entry = record(at, e);
      const name = typeof entry.name === "string" && entry.name.length > 0
        ? entry.name
        : fail(`${at}.name`, entry.name, "must be a non-empty string");
      if (seen.has(name)) fail(`${at}.name`, name, "appears twice");
      seen.add(name);
      if (!Array.isArray(entry.shape)) fail(`${at}.shape`, entry.shape, "must be an array of integers >= 0");
      const shape = (entry.shape as unknown[]).map((d) => count(`${at}.shape`, d));
      if (!(CHECKPOINT_DTYPES as readonly unknown[]).includes(entry.dtype)) {
        fail(`${at}.dtype`, entry.dtype, `must be one of ${CHECKPOINT_DTYPES.join(", ")}`);
      }
      const offset = count(`${at}.offset`, entry.offset);
      if (offset % 4 !== 0) fail(`${at}.offset`, offset, "must be a multiple of 4");
      const end = offset + 4 * shape.reduce((n, d) => n * d, 1);
      if (end > bytes) fail(`${at} (${name})`, end, `must end within the ${bytes} bytes of the weights file`);
      return { name, shape, dtype: entry.dtype as ArrayEntry["dtype"], offset };
    });
  };
  let optimizerState: CheckpointManifest["optimizerState"] = null;
  if (raw.optimizerState !== null) {
    const o = record("optimizerState", raw.optimizerState);
    const counters = record("optimizerState.counters", o.counters);
    for (const [k, v] of Object.entries(counters)) count(`optimizerState.counters[${JSON.stringify(k)}]`, v);
    optimizerState = {
      arrays: entries("optimizerState.arrays", o.arrays),
      counters: counters as Record<string, number>,
    };
  }
  const variables = entries("variables", raw.variables);
  const carried = raw.carried === undefined ? undefined : entries("carried", raw.carried);
  carried?.forEach((entry, i) => {
    if (!/^layers\[\d+\]\.carried$/.test(entry.name)) {
      fail(`carried[${i}].name`, entry.name, "must be layers[j].carried");
    }
    if (entry.shape.length !== 2) fail(`carried[${i}].shape`, entry.shape, "must be [B, 2 units]");
    if (entry.dtype !== "float32") fail(`carried[${i}].dtype`, entry.dtype, "must be float32");
  });
  const stream = raw.stream === undefined ? undefined : parseStream(raw.stream, fail);
  const position = raw.position === undefined ? undefined : raw.position;
  const wrong = position === undefined ? undefined : epochProgressProblem(position);
  if (wrong !== undefined) fail("position", position, wrong);
  const plugins = raw.plugins === undefined ? undefined : parsePlugins(raw.plugins, record, digest, fail);
  checkTiling([...variables, ...(optimizerState?.arrays ?? []), ...(carried ?? [])], bytes, path);
  return {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    steps: count("steps", raw.steps),
    ...(raw.epochs === undefined ? {} : { epochs: count("epochs", raw.epochs) }),
    spec: { file: fileName("spec.file", spec.file), sha256: digest("spec.sha256", spec.sha256) },
    weights: { file: fileName("weights.file", weights.file), bytes, sha256: digest("weights.sha256", weights.sha256) },
    variables,
    optimizerState,
    ...(stream === undefined ? {} : { stream }),
    ...(carried === undefined ? {} : { carried }),
    ...(position === undefined ? {} : { position: position as EpochProgress }),
    ...(plugins === undefined ? {} : { plugins }),
    ...(isRecord(raw.savedWith) ? { savedWith: raw.savedWith as Record<string, string | number> } : {}),
  };
}

// `plugins`: [{ url, sha256 }], each URL absolute and recorded once.
function parsePlugins(
  value: unknown,
  record: (field: string, value: unknown) => Record<string, unknown>,
  digest: (field: string, value: unknown) => string,
  fail: (field: string, value: unknown, problem: string) => never,
): PluginEntry[] {
  if (!Array.isArray(value)) return fail("plugins", value, "must be an array of { url, sha256 }");
  const seen = new Set<string>();
  return value.map((e: unknown, i: number) => {
    const entry = record(`plugins[${i}]`, e);
    const url = entry.url;
    if (typeof url !== "string" || url.length > MAX_PLUGIN_URL_LENGTH || !URL.canParse(url)) {
      fail(`plugins[${i}].url`, url, `must be an absolute URL of at most ${MAX_PLUGIN_URL_LENGTH} characters`);
    }
    if (seen.has(url as string)) fail(`plugins[${i}].url`, url, "appears twice");
    seen.add(url as string);
    return { url: url as string, sha256: digest(`plugins[${i}].sha256`, entry.sha256) };
  });
}

// The arrays, by offset, must lie back to back from byte 0 to the weights file's end: an overlap would load two
// arrays from the same bytes (silently wrong weights), a gap or a short end means bytes nobody wrote.
function checkTiling(arrays: readonly ArrayEntry[], bytes: number, path: string): void {
  const sorted = [...arrays].sort((a, b) => a.offset - b.offset);
  let at = 0;
  let previous: ArrayEntry | undefined;
  for (const a of sorted) {
    if (a.offset < at) {
      throw new CheckpointError(
        path,
        `arrays overlap: ${a.name} starts at byte ${a.offset}, inside ${previous!.name} (bytes ${previous!.offset}-${
          at - 1
        }); the arrays must tile the weights file`,
      );
    }
    if (a.offset > at) {
      throw new CheckpointError(
        path,
        `bytes ${at}-${a.offset - 1} of the weights file belong to no array (before ${a.name}); the arrays must ` +
          "tile the weights file",
      );
    }
    at = a.offset + 4 * a.shape.reduce((n, d) => n * d, 1);
    previous = a;
  }
  if (at !== bytes) {
    throw new CheckpointError(
      path,
      `the arrays end at byte ${at}, the weights file has ${bytes} bytes; the arrays must tile the weights file`,
    );
  }
}

/**
 * Throws on a big-endian machine: the weights file is little-endian and is written and read as typed arrays.
 *
 * @throws {Error} On a big-endian machine.
 */
export function assertLittleEndian(): void {
  if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
    throw new Error("dni checkpoints are little-endian; this machine is big-endian");
  }
}
