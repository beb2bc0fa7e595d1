/**
 * One-hot label matrices made in JavaScript: one tensor upload per batch instead of three TF.js ops.
 *
 * @module
 */
import { tf } from "../deps.ts";

/**
 * The one-hot matrix `[labels.length, classes]` (float32) of integer class labels. Datasets are checked when they
 * are loaded and when `train` starts (`checkSplit`), so a label out of range here is a bug or a forged message.
 *
 * @throws {RangeError} If a label is not an integer in `0..classes-1` (unlike `tf.oneHot`, which gives it a row of
 *   zeros: a silently wrong target); the message names the label, its row and the classes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { oneHotLabels } from "./one_hot.ts";
 *
 * const y = oneHotLabels(new Uint8Array([2, 0]), 3);
 * assert.deepEqual(Array.from(y.dataSync()), [0, 0, 1, 1, 0, 0]);
 * y.dispose();
 * assert.throws(() => oneHotLabels(new Uint8Array([0, 1, 2, 12]), 10), /^RangeError: label 12 at row 3 is outside 0\.\.9$/);
 * ```
 */
export function oneHotLabels(labels: ArrayLike<number>, classes: number): tf.Tensor2D {
  const values = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    const k = labels[i]!;
    if (!(Number.isInteger(k) && k >= 0 && k < classes)) {
      throw new RangeError(`label ${k} at row ${i} is outside 0..${classes - 1}`);
    }
    values[i * classes + k] = 1;
  }
  return tf.tensor2d(values, [labels.length, classes]);
}
