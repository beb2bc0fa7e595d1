/**
 * Cosine similarity of two tensors, the one formula the gradient probes use.
 *
 * @module
 */
import { tf } from "../deps.ts";

/**
 * The cosine similarity of `a` and `b` taken as flat vectors, sum(a b) / max(||a|| ||b||, 1e-30): in [-1, 1], and 0
 * when either is all zeros. The intermediate tensors are freed; the caller owns the scalar.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps.ts";
 * import { cosine } from "./cosine.ts";
 *
 * const [a, b] = [tf.tensor2d([[1, 0], [0, 1]]), tf.tensor2d([[2, 0], [0, 2]])];
 * const c = cosine(a, b);
 * assert.ok(Math.abs(c.dataSync()[0]! - 1) < 1e-6);
 * tf.dispose([a, b, c]);
 * ```
 */
export function cosine(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.div(tf.sum(tf.mul(a, b)), tf.maximum(tf.mul(tf.norm(a), tf.norm(b)), 1e-30)) as tf.Scalar);
}
