/**
 * One-hot label matrices made in JavaScript: one tensor upload per batch instead of three TF.js ops.
 *
 * @module
 */
import { tf } from "../deps.ts";

/**
 * The one-hot matrix `[labels.length, classes]` (float32) of integer class labels; a label outside `0..classes-1`
 * gets a row of zeros, as with `tf.oneHot`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { oneHotLabels } from "./one_hot.ts";
 *
 * const y = oneHotLabels(new Uint8Array([2, 0]), 3);
 * assert.deepEqual(Array.from(y.dataSync()), [0, 0, 1, 1, 0, 0]);
 * y.dispose();
 * ```
 */
export function oneHotLabels(labels: ArrayLike<number>, classes: number): tf.Tensor2D {
  const values = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    const k = labels[i]!;
    if (Number.isInteger(k) && k >= 0 && k < classes) values[i * classes + k] = 1; // else a row of zeros, as tf.oneHot
  }
  return tf.tensor2d(values, [labels.length, classes]);
}
