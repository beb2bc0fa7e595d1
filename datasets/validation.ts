/**
 * Holding a validation split out of a training split, as Keras's `validation_split` does: the last fraction of the
 * examples, before any shuffling, so that the same examples are held out in every epoch and every run.
 *
 * @module
 */
import type { Split } from "./dataset.ts";

/**
 * Splits `split` into training examples (the first ones) and validation examples (the last `fraction`).
 *
 * @throws {RangeError} If `fraction` is not in (0, 1), or it would leave either part empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { holdOutValidation } from "./validation.ts";
 *
 * const split = { x: Float32Array.from([0, 1, 2, 3, 4]), labels: Uint8Array.from([0, 1, 0, 1, 0]), count: 5 };
 * const { train, validation } = holdOutValidation(split, 1, 0.4);
 * assert.deepEqual(Array.from(train.x), [0, 1, 2]);
 * assert.deepEqual(Array.from(validation.x), [3, 4]);
 * ```
 */
export function holdOutValidation(
  split: Split,
  features: number,
  fraction: number,
): { train: Split; validation: Split } {
  if (typeof fraction !== "number" || !(fraction > 0 && fraction < 1)) {
    throw new RangeError(`validationSplit must be a number in (0, 1), got ${fraction}`);
  }
  const held = Math.round(split.count * fraction);
  const kept = split.count - held;
  if (held < 1 || kept < 1) {
    throw new RangeError(
      `validationSplit ${fraction} of ${split.count} training examples leaves ${kept} to train on and ${held} to ` +
        `validate on; both need at least one`,
    );
  }
  return {
    train: { x: split.x.subarray(0, kept * features), labels: split.labels.subarray(0, kept), count: kept },
    validation: { x: split.x.subarray(kept * features), labels: split.labels.subarray(kept), count: held },
  };
}
