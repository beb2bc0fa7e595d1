/**
 * The one place where a batch of examples becomes tensors: its inputs as `[size, ...shape]` and its labels one-hot.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { oneHotLabels } from "./one_hot.ts";

/** A batch's arrays: inputs, row-major `[size, ...shape]`, and integer class labels (a `Batch` is one). */
export interface BatchArrays {
  /** Inputs, row-major `[size, ...shape]`. */
  x: Float32Array;
  /** Class labels, one per example. */
  labels: ArrayLike<number>;
  /** Number of examples. */
  size: number;
}

/** A batch as tensors. */
export interface BatchTensors<X extends tf.Tensor = tf.Tensor> {
  /** Inputs `[size, features]` or `[size, ...shape]`. */
  x: X;
  /** One-hot labels `[size, classes]` (float32). */
  labels: tf.Tensor2D;
}

/**
 * Makes the tensors of a batch: inputs `[size, features]` (or `[size, ...shape]` when given a shape per example)
 * and one-hot labels `[size, classes]`. The caller owns and disposes both.
 *
 * @param batch The batch's arrays.
 * @param features Inputs per example: a width (a `[size, features]` matrix) or the shape of one example.
 * @param classes Number of classes.
 * @throws {RangeError} If a label is not an integer in `0..classes-1` (see `oneHotLabels`); nothing is left
 *   allocated.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps.ts";
 * import { batchTensors } from "./batch_tensors.ts";
 *
 * const { x, labels } = batchTensors({ x: new Float32Array(6), labels: new Uint8Array([1, 0]), size: 2 }, 3, 2);
 * assert.deepEqual([x.shape, labels.shape], [[2, 3], [2, 2]]);
 * assert.deepEqual(Array.from(labels.dataSync()), [0, 1, 1, 0]);
 * tf.dispose([x, labels]);
 * ```
 */
export function batchTensors(batch: BatchArrays, features: number, classes: number): BatchTensors<tf.Tensor2D>;
/** Makes the tensors of a batch: inputs `[size, ...shape]` and one-hot labels `[size, classes]`. */
export function batchTensors(batch: BatchArrays, shape: readonly number[], classes: number): BatchTensors;
export function batchTensors(batch: BatchArrays, features: number | readonly number[], classes: number): BatchTensors {
  const labels = oneHotLabels(batch.labels, classes);
  try {
    const x = typeof features === "number"
      ? tf.tensor2d(batch.x, [batch.size, features])
      : tf.tensor(batch.x, [batch.size, ...features], "float32");
    return { x, labels };
  } catch (error) {
    labels.dispose();
    throw error;
  }
}
