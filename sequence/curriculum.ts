/**
 * The curriculum of the copy tasks and the error it reads.
 *
 * The level is the sequence length N (for Repeat Copy, see `repeatCopyLevel` in `copy_task.ts`). It starts at 1
 * and grows by one when the error on the current level, averaged over the last `window` recorded errors at that
 * level, falls below `threshold` (0.15 bits). `maxSequenceLength` is the longest level whose error fell below
 * the threshold (0 if none): the figure the DNI paper reports for Copy and Repeat Copy.
 *
 * The error is {@linkcode sequenceErrorBits}: the binary cross-entropy of the target bits under the predicted
 * probabilities, in bits, summed over the masked steps and channels of a sequence and averaged over sequences
 * ("bits per sequence", the cost Graves et al. 2014 plot for the copy tasks). `per: "step"` divides by the masked
 * steps instead: that is what `trainSequences` records, so that the bar is the same at every length. Which
 * normalisation the DNI paper's 0.15 bits uses could not be checked here (see docs/recurrent.md).
 *
 * @module
 */
import type { SequenceBatch } from "./batch.ts";

/** Options of {@linkcode Curriculum}. */
export interface CurriculumOptions {
  /** The first level. @default 1 */
  start?: number;
  /** The error, in bits, below which a level counts as solved. @default 0.15 */
  threshold?: number;
  /** How many recorded errors at a level are averaged before deciding. @default 1 */
  window?: number;
}

/** The JSON-able state of a {@linkcode Curriculum}. */
export interface CurriculumState {
  /** The current level. */
  level: number;
  /** The longest level solved, 0 if none. */
  maxSequenceLength: number;
  /** The errors recorded at the current level, at most `window` of them, oldest first. */
  errors: number[];
  /** The threshold in bits. */
  threshold: number;
  /** The averaging window. */
  window: number;
}

/**
 * A curriculum over the sequence length: `record` each measured error; the level grows by one once the level is
 * solved.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Curriculum } from "./curriculum.ts";
 *
 * const curriculum = new Curriculum();
 * assert.equal(curriculum.level, 1);
 * assert.equal(curriculum.record(0.9), false);
 * assert.equal(curriculum.record(0.1), true);
 * assert.deepEqual([curriculum.level, curriculum.maxSequenceLength], [2, 1]);
 * const copy = new Curriculum();
 * copy.setState(JSON.parse(JSON.stringify(curriculum.getState())));
 * assert.equal(copy.level, 2);
 * ```
 */
export class Curriculum {
  #level: number;
  #max = 0;
  #errors: number[] = [];
  #threshold: number;
  #window: number;

  /**
   * Makes a curriculum at level `start`.
   *
   * @throws {RangeError} If `start` or `window` is not a positive integer, or `threshold` not a positive number.
   */
  constructor(options: CurriculumOptions = {}) {
    const { start = 1, threshold = 0.15, window = 1 } = options;
    check(start, threshold, window);
    this.#level = start;
    this.#threshold = threshold;
    this.#window = window;
  }

  /** The current level (sequence length). */
  get level(): number {
    return this.#level;
  }

  /** The longest level whose error fell below the threshold; 0 if none yet (levels below `start` do not count). */
  get maxSequenceLength(): number {
    return this.#max;
  }

  /**
   * Records an error at the current level; advances when the mean of the last `window` errors is below the
   * threshold.
   *
   * @param errorBits The error in bits (see {@linkcode sequenceErrorBits}).
   * @returns Whether the level advanced.
   * @throws {RangeError} If `errorBits` is negative, NaN or infinite.
   */
  record(errorBits: number): boolean {
    if (!Number.isFinite(errorBits) || errorBits < 0) {
      throw new RangeError(`Curriculum: error must be a finite number of bits >= 0, got ${errorBits}`);
    }
    this.#errors.push(errorBits);
    if (this.#errors.length > this.#window) this.#errors.shift();
    if (this.#errors.length < this.#window) return false;
    const mean = this.#errors.reduce((a, b) => a + b, 0) / this.#window;
    if (!(mean < this.#threshold)) return false;
    this.#max = this.#level;
    this.#level++;
    this.#errors = [];
    return true;
  }

  /** The state, as plain JSON-able data. */
  getState(): CurriculumState {
    return {
      level: this.#level,
      maxSequenceLength: this.#max,
      errors: [...this.#errors],
      threshold: this.#threshold,
      window: this.#window,
    };
  }

  /**
   * Restores a state from {@linkcode getState}.
   *
   * @throws {RangeError} If the state is inconsistent (naming the field and value).
   */
  setState(state: CurriculumState): void {
    const { level, maxSequenceLength, errors, threshold, window } = state;
    check(level, threshold, window);
    if (!Number.isInteger(maxSequenceLength) || maxSequenceLength < 0 || maxSequenceLength >= level) {
      throw new RangeError(
        `Curriculum state: maxSequenceLength must be an integer in [0, ${level}), got ${maxSequenceLength}`,
      );
    }
    if (!Array.isArray(errors) || errors.length > window || !errors.every((e) => Number.isFinite(e) && e >= 0)) {
      throw new RangeError(`Curriculum state: errors must be at most ${window} finite numbers >= 0, got ${errors}`);
    }
    this.#level = level;
    this.#max = maxSequenceLength;
    this.#errors = [...errors];
    this.#threshold = threshold;
    this.#window = window;
  }
}

/**
 * The error in bits of predicted bit probabilities against a batch's targets: `-[y log2 p + (1-y) log2 (1-p)]`
 * summed over the channels and masked steps, then averaged over sequences (`per: "sequence"`, the default) or over
 * masked steps (`per: "step"`). Probabilities are clipped to [1e-7, 1 - 1e-7].
 *
 * @param probabilities Sigmoid outputs, row-major [size, time, outputs].
 * @param batch The batch the predictions are for (its targets, mask and sizes).
 * @param options `per`: what the summed error is divided by.
 * @returns Bits per sequence (or per masked step); 0 when the mask is all zero.
 * @throws {RangeError} If `probabilities` does not have `size * time * outputs` values.
 *
 * @example A confident, right prediction costs almost nothing; a coin flip costs one bit per target bit
 * ```ts
 * import assert from "node:assert/strict";
 * import { sequenceErrorBits } from "./curriculum.ts";
 *
 * const batch = { targets: Float32Array.of(1, 0, 0, 1), mask: Float32Array.of(0, 1), size: 1, time: 2, outputs: 2 };
 * assert.equal(sequenceErrorBits(Float32Array.of(0.5, 0.5, 0.5, 0.5), batch), 2);
 * assert.ok(sequenceErrorBits(Float32Array.of(0.5, 0.5, 0, 1), batch) < 1e-5);
 * ```
 */
export function sequenceErrorBits(
  probabilities: Float32Array,
  batch: Pick<SequenceBatch, "targets" | "mask" | "size" | "time" | "outputs">,
  options: { per?: "sequence" | "step" } = {},
): number {
  const { per = "sequence" } = options;
  const { targets, mask, size, time, outputs } = batch;
  if (probabilities.length !== size * time * outputs) {
    throw new RangeError(
      `sequenceErrorBits: probabilities has ${probabilities.length} values, [size ${size}, time ${time}, ` +
        `outputs ${outputs}] needs ${size * time * outputs}`,
    );
  }
  let bits = 0, steps = 0;
  for (let i = 0; i < size * time; i++) {
    const m = mask[i]!;
    if (m === 0) continue;
    steps += m;
    for (let c = 0; c < outputs; c++) {
      const p = Math.min(Math.max(probabilities[i * outputs + c]!, 1e-7), 1 - 1e-7);
      const y = targets[i * outputs + c]!;
      bits -= m * (y * Math.log2(p) + (1 - y) * Math.log2(1 - p));
    }
  }
  const divisor = per === "step" ? steps : size;
  return divisor === 0 ? 0 : bits / divisor;
}

function check(level: number, threshold: number, window: number): void {
  if (!Number.isInteger(level) || level < 1) {
    throw new RangeError(`Curriculum: level must be a positive integer, got ${level}`);
  }
  if (!Number.isFinite(threshold) || threshold <= 0) {
    throw new RangeError(`Curriculum: threshold must be a positive number of bits, got ${threshold}`);
  }
  if (!Number.isInteger(window) || window < 1) {
    throw new RangeError(`Curriculum: window must be a positive integer, got ${window}`);
  }
}
