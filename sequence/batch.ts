/**
 * The batch type of recurrent (sequence) training and its check.
 *
 * @module
 */

/** A batch of sequences as plain arrays (the trainer makes the tensors). */
export interface SequenceBatch {
  /** Inputs, row-major [size, time, features]. */
  x: Float32Array;
  /** Targets, row-major [size, time, outputs]: bits (copy tasks) or one-hot classes (seq-mnist, text). */
  targets: Float32Array;
  /** 1 where a step's target counts in the loss, else 0; row-major [size, time]. */
  mask: Float32Array;
  /** Sequences in the batch. */
  size: number;
  /** Steps per sequence (all sequences of a batch have the same length). */
  time: number;
  /** Input width per step. */
  features: number;
  /** Target width per step. */
  outputs: number;
}

/**
 * Checks a sequence batch: positive integer sizes, array lengths that fit them, finite inputs, targets and mask.
 *
 * @param batch The batch to check.
 * @throws {RangeError} Naming the field and the value, if a size is not a positive integer, an array's length does
 *   not fit the sizes, or an input, target or mask value is NaN or infinite.
 *
 * @example Lengths that do not fit
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkSequenceBatch } from "./batch.ts";
 *
 * const batch = {
 *   x: new Float32Array(2 * 3 * 4),
 *   targets: new Float32Array(2 * 3 * 5),
 *   mask: new Float32Array(5),
 *   size: 2,
 *   time: 3,
 *   features: 4,
 *   outputs: 5,
 * };
 * assert.throws(() => checkSequenceBatch(batch), /mask has 5 values, \[size 2, time 3\] needs 6/);
 * checkSequenceBatch({ ...batch, mask: new Float32Array(6) });
 * ```
 */
export function checkSequenceBatch(batch: SequenceBatch): void {
  for (const key of ["size", "time", "features", "outputs"] as const) {
    const value = batch[key];
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`Sequence batch: ${key} must be a positive integer, got ${value}`);
    }
  }
  const { size, time, features, outputs } = batch;
  const shapes = [
    ["x", batch.x, size * time * features, `[size ${size}, time ${time}, features ${features}]`],
    ["targets", batch.targets, size * time * outputs, `[size ${size}, time ${time}, outputs ${outputs}]`],
    ["mask", batch.mask, size * time, `[size ${size}, time ${time}]`],
  ] as const;
  for (const [name, values, length, shape] of shapes) {
    if (values.length !== length) {
      throw new RangeError(`Sequence batch: ${name} has ${values.length} values, ${shape} needs ${length}`);
    }
  }
  for (const [name, values, , shape] of shapes) {
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) {
        throw new RangeError(
          `Sequence batch: ${name}[${i}] of ${shape} is ${values[i]}, not a finite number`,
        );
      }
    }
  }
}
