// Private: the loss at the top of a training step: the network's loss on a batch of examples, or a sequence
// network's per-step loss on a window's rows (masked, averaged over its sequences), with what the step counts.
import { tf } from "../deps.ts";
import type { Loss } from "../losses/loss.ts";
import { stepLoss, type StepLossType } from "../losses/step_loss.ts";

/** The loss, its gradient at the output, the right predictions and, for a window, its bits and counted steps. */
export interface Objective {
  loss: tf.Scalar;
  gradient: tf.Tensor2D;
  correct: tf.Scalar;
  bits?: tf.Scalar;
  counted?: tf.Scalar;
}

/** The objective of output `h` against `labels` (a window's one-hot targets per row, for a sequence network). */
export function objective(
  network: { loss: Loss; stepLoss?: StepLossType },
  h: tf.Tensor2D,
  labels: tf.Tensor2D,
  window?: { mask: tf.Tensor1D; sequences: number },
): Objective {
  if (network.stepLoss !== undefined) {
    const rows = h.shape[0];
    const w = window ?? { mask: tf.ones([rows]) as tf.Tensor1D, sequences: rows };
    const r = stepLoss(network.stepLoss, h, labels, w.mask, w.sequences);
    return { loss: r.loss, gradient: r.gradient, correct: r.correct, bits: r.bits, counted: tf.sum(w.mask) };
  }
  const { loss, gradient } = network.loss.compute(h, labels);
  const correct = tf.sum(tf.cast(tf.equal(tf.argMax(h, 1), tf.argMax(labels, 1)), "int32")) as tf.Scalar;
  return { loss, gradient, correct };
}
