/**
 * The per-step losses of sequence training: every step of a window has its own target, and a mask says which steps
 * count (the copy task's output phase, sequential MNIST's last row). A sequence's loss is the sum over its counted
 * steps; a batch's loss is the mean over its sequences, so that the gradient a window passes back is the gradient of
 * the same batch-mean loss as in feed-forward training.
 *
 * - `sigmoid-cross-entropy`: independent bits (the copy tasks), `-sum_k y log p + (1 - y) log(1 - p)` per step.
 * - `softmax-cross-entropy`: one class per step (characters, digits), `-sum_k y_k log softmax(z)_k` per step.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Loss } from "./loss.ts";

/** The per-step losses a sequence spec may name. */
export const STEP_LOSSES: readonly StepLossType[] = ["sigmoid-cross-entropy", "softmax-cross-entropy"];

/** A per-step loss's name. */
export type StepLossType = "sigmoid-cross-entropy" | "softmax-cross-entropy";

/** What `stepLoss` gives for one window. */
export interface StepLossResult {
  /** The window's share of the batch-mean loss (nats): the masked sum over steps, averaged over the batch. */
  loss: tf.Scalar;
  /** dLoss/d(logits), `[B * time, outputs]`. */
  gradient: tf.Tensor2D;
  /** Sum of the masked steps' cross-entropy in bits, over the whole batch (for bits per step or character). */
  bits: tf.Scalar;
  /** Masked steps whose prediction is right (softmax: the arg max is the target; sigmoid: every bit rounds right). */
  correct: tf.Scalar;
}

/**
 * The loss of one window's logits against its targets.
 *
 * @param type Which loss.
 * @param logits `[B * time, outputs]`, row `b * time + t` for sequence `b`, step `t`.
 * @param targets Same shape: bits (sigmoid) or one-hot classes (softmax).
 * @param mask `[B * time]`: 1 where the step counts.
 * @param batch B, the number of sequences (the loss is a mean over them).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps.ts";
 * import { stepLoss } from "./step_loss.ts";
 *
 * const logits = tf.tensor2d([[0, 0], [5, -5]]), targets = tf.tensor2d([[1, 0], [1, 0]]);
 * const r = stepLoss("sigmoid-cross-entropy", logits, targets, tf.tensor1d([1, 0]), 1);
 * assert.ok(Math.abs(r.bits.dataSync()[0]! - 2) < 1e-5); // two bits at p = 0.5; the second step is masked out
 * assert.deepEqual(Array.from(r.gradient.dataSync(), (v) => v + 0), [-0.5, 0.5, 0, 0]);
 * ```
 */
export function stepLoss(
  type: StepLossType,
  logits: tf.Tensor2D,
  targets: tf.Tensor2D,
  mask: tf.Tensor1D,
  batch: number,
): StepLossResult {
  return tf.tidy(() => {
    const m = tf.expandDims(mask, 1);
    let perStep: tf.Tensor1D, gradient: tf.Tensor2D, right: tf.Tensor1D;
    if (type === "sigmoid-cross-entropy") {
      // max(z, 0) - z y + log(1 + exp(-|z|)): stable for any z.
      const elementwise = tf.add(
        tf.sub(tf.relu(logits), tf.mul(logits, targets)),
        tf.log1p(tf.exp(tf.neg(tf.abs(logits)))),
      );
      perStep = tf.sum(elementwise, 1);
      gradient = tf.mul(tf.sub(tf.sigmoid(logits), targets), m) as tf.Tensor2D;
      const wrong = tf.sum(tf.abs(tf.sub(tf.cast(tf.greater(logits, 0), "float32"), targets)), 1);
      right = tf.cast(tf.equal(wrong, 0), "float32") as tf.Tensor1D;
    } else {
      const logProbs = tf.logSoftmax(logits);
      perStep = tf.neg(tf.sum(tf.mul(targets, logProbs), 1));
      gradient = tf.mul(tf.sub(tf.exp(logProbs), targets), m) as tf.Tensor2D;
      right = tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(targets, 1)), "float32") as tf.Tensor1D;
    }
    const masked = tf.sum(tf.mul(perStep, mask));
    return {
      loss: tf.div(masked, batch) as tf.Scalar,
      gradient: tf.div(gradient, batch) as tf.Tensor2D,
      bits: tf.div(masked, Math.LN2) as tf.Scalar,
      correct: tf.sum(tf.mul(right, mask)) as tf.Scalar,
    };
  });
}

/**
 * The model's prediction from logits: bit probabilities (sigmoid) or class probabilities (softmax).
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { stepPrediction } from "./step_loss.ts";
 * const p = stepPrediction("sigmoid-cross-entropy", tf.tensor2d([[0]]));
 * console.assert(p.dataSync()[0] === 0.5);
 * ```
 */
export function stepPrediction(type: StepLossType, logits: tf.Tensor2D): tf.Tensor2D {
  return type === "sigmoid-cross-entropy" ? tf.sigmoid(logits) : tf.softmax(logits);
}

/**
 * A per-step loss as a network's `Loss`: `compute` counts every row (no mask) and averages over the rows; a
 * sequence network's step uses `stepLoss` with the window's mask and its number of sequences instead.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps.ts";
 * import { stepLossObject } from "./step_loss.ts";
 * const loss = stepLossObject("softmax-cross-entropy");
 * const { loss: l, gradient } = loss.compute(tf.tensor2d([[0, 0]]), tf.tensor2d([[1, 0]]));
 * assert.ok(Math.abs(l.dataSync()[0]! - Math.LN2) < 1e-6);
 * tf.dispose([l, gradient]);
 * ```
 */
export function stepLossObject(type: StepLossType): Loss {
  return {
    type,
    compute: (output, labels) =>
      tf.tidy(() => {
        const rows = output.shape[0];
        const r = stepLoss(type, output, labels, tf.ones([rows]) as tf.Tensor1D, rows);
        return { loss: r.loss, gradient: r.gradient };
      }),
    predict: (output) => stepPrediction(type, output),
  };
}
