/**
 * The errors `dni` throws on bad input that callers may want to catch. Plain `TypeError` / `RangeError` are used
 * for misuse of a function's arguments.
 *
 * @module
 */

/** Formats a value for an error message: strings quoted, objects as JSON, long text cut. */
export function show(value: unknown): string {
  let text: string;
  if (typeof value === "string") text = JSON.stringify(value);
  else if (typeof value === "number" || typeof value === "boolean" || value == null) text = String(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/**
 * A network spec (or part of one) is invalid. `path` names the field, e.g. `layers[1].units`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetwork, SpecError } from "./mod.ts";
 *
 * assert.throws(
 *   () => buildNetwork({ input: [4], layers: [{ type: "dense", units: 0 }] }),
 *   (error) => error instanceof SpecError && error.path === "layers[0].units" && error.value === 0,
 * );
 * const e = new SpecError("layers[0].units", 0, "must be a positive integer");
 * assert.equal(e.message, "Invalid spec: layers[0].units must be a positive integer, got 0");
 * ```
 */
export class SpecError extends Error {
  /** The path of the offending field. */
  readonly path: string;
  /** The offending value. */
  readonly value: unknown;

  /**
   * Makes the error; the message is `Invalid spec: <path> <problem>, got <value>`.
   *
   * @param path Where in the spec, e.g. `layers[1].interface`.
   * @param value The value found there.
   * @param problem What is wrong, e.g. `must be a positive integer`.
   */
  constructor(path: string, value: unknown, problem: string) {
    super(`Invalid spec: ${path} ${problem}, got ${show(value)}`);
    this.name = "SpecError";
    this.path = path;
    this.value = value;
  }
}

/** A dataset file is missing, corrupt, or does not match its checksum. `file` names it. */
export class DatasetError extends Error {
  /** The file (path or URL) at fault. */
  readonly file: string;

  /**
   * Makes the error; the message is `Dataset file <file>: <problem>`.
   *
   * @param file The file at fault.
   * @param problem What is wrong with it.
   */
  constructor(file: string, problem: string) {
    super(`Dataset file ${file}: ${problem}`);
    this.name = "DatasetError";
    this.file = file;
  }
}

/** Where training diverged, as far as the code that noticed knows it. */
export interface DivergenceSite {
  /** The network's step (from 0) whose loss, gradient or synthetic gradient was not finite. */
  step?: number;
  /** The layer whose gradient, or whose interface's synthetic gradient, was not finite. */
  layer?: number;
  /** The type of the interface whose synthetic gradient (or message) was not finite. */
  interface?: string;
}

/**
 * Training diverged: a loss, a gradient or a synthetic gradient became NaN or infinite. With the default
 * `onNonFinite: "error"`, nothing is updated with the value that showed it.
 *
 * @example
 * ```ts
 * import { DivergenceError } from "./errors.ts";
 * const e = new DivergenceError("the loss", NaN, 1, 3, { step: 2 });
 * console.assert(e.message.startsWith("Training diverged: the loss is NaN at epoch 1, batch 3 (step 2)"));
 * ```
 */
export class DivergenceError extends Error {
  /** The epoch (from 1) where it happened, when known. */
  readonly epoch?: number;
  /** The batch within the epoch (from 1) where it happened, when known. */
  readonly batch?: number;
  /** What was not finite, e.g. `the loss`. */
  readonly what: string;
  /** The value that was not finite (NaN or +-Infinity). */
  readonly value: number;
  /** The step, layer and interface, when known. */
  readonly site: DivergenceSite;

  /**
   * Makes the error; the message names what diverged, its value, the epoch and the batch.
   *
   * @param what What was not finite, e.g. `the loss`.
   * @param value The value (NaN or +-Infinity).
   * @param epoch Epoch, from 1 (undefined when the code that noticed does not know it).
   * @param batch Batch within the epoch, from 1.
   * @param site The step, layer and interface, when known.
   */
  constructor(what: string, value: number, epoch?: number, batch?: number, site: DivergenceSite = {}) {
    const at = [
      epoch === undefined ? undefined : `epoch ${epoch}, batch ${batch}`,
      site.step === undefined ? undefined : epoch === undefined ? `step ${site.step}` : `(step ${site.step})`,
    ].filter((part) => part !== undefined).join(" ");
    super(
      `Training diverged: ${what} is ${value}${at ? ` at ${at}` : ""} ` +
        `(lower the learning rate, or the synthesizer's; or train with onNonFinite "skip"; see docs/errors.md)`,
    );
    this.name = "DivergenceError";
    this.what = what;
    this.value = value;
    this.epoch = epoch;
    this.batch = batch;
    this.site = { ...site };
  }

  /** The same error, placed at an epoch and batch (the trainer knows them, the network does not). */
  at(epoch: number, batch: number): DivergenceError {
    return new DivergenceError(this.what, this.value, epoch, batch, this.site);
  }
}

/**
 * A checkpoint is missing, corrupt, or does not match the network; or it cannot be saved. `path` names the file
 * (or directory) at fault.
 *
 * @example
 * ```ts
 * import { CheckpointError } from "./errors.ts";
 * const e = new CheckpointError("ckpt/weights.bin", "has 12 bytes, the manifest expects 16");
 * console.assert(e.message === "Checkpoint ckpt/weights.bin: has 12 bytes, the manifest expects 16");
 * ```
 */
export class CheckpointError extends Error {
  /** The file or directory at fault. */
  readonly path: string;

  /**
   * Creates the error; its message is `Checkpoint <path>: <problem>`.
   *
   * @param path The file or directory at fault.
   * @param problem What is wrong with it, naming the value.
   * @param options `cause`: the underlying error, if any.
   */
  constructor(path: string, problem: string, options?: ErrorOptions) {
    super(`Checkpoint ${path}: ${problem}`, options);
    this.name = "CheckpointError";
    this.path = path;
  }
}

/**
 * A plugin module cannot be loaded: not found, failed while loading, or exports no `register(registries)` function.
 * `module` names it as given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PluginError } from "./mod.ts";
 *
 * const e = new PluginError("./mine.ts", "it exports no register(registries) function");
 * assert.equal(e.message, 'Cannot load plugin "./mine.ts": it exports no register(registries) function');
 * ```
 */
export class PluginError extends Error {
  /** The module, as given (a path or URL). */
  readonly module: string;

  /**
   * Makes the error; the message is `Cannot load plugin "<module>": <problem>`.
   *
   * @param module The module, as given.
   * @param problem What went wrong.
   */
  constructor(module: string, problem: string) {
    super(`Cannot load plugin ${show(module)}: ${problem}`);
    this.name = "PluginError";
    this.module = module;
  }
}
