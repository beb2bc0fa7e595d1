/**
 * Softmax cross-entropy on logits: L = mean_b(-sum_k y_bk log softmax(z_b)_k), dL/dz = (softmax(z) - y) / B.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { SpecError } from "../errors.ts";
import { FUSED } from "../fused/names.ts";
import { runFused } from "../fused/run.ts";
import type { Loss, LossFactory } from "./loss.ts";

/** The softmax cross-entropy loss; the output layer must be linear (logits) with at least 2 units. */
export const softmaxCrossEntropy: LossFactory = {
  checkOutput(output, path) {
    if ((output.activation ?? "linear") !== "linear") {
      throw new SpecError(
        `${path}.activation`,
        output.activation,
        'must be "linear" for loss "softmax-cross-entropy" (it applies the softmax itself)',
      );
    }
    if (typeof output.units === "number" && output.units < 2) {
      throw new SpecError(`${path}.units`, output.units, 'must be >= 2 for loss "softmax-cross-entropy"');
    }
  },
  create(): Loss {
    return {
      type: "softmax-cross-entropy",
      compute(logits, labels) {
        const fused = logits.rank === 2 ? runFused(FUSED.softmaxCrossEntropy, { logits, labels }) : undefined;
        if (fused !== undefined) return { loss: fused[0] as tf.Scalar, gradient: fused[1] as tf.Tensor2D };
        const logProbs = tf.logSoftmax(logits);
        const loss = tf.neg(tf.mean(tf.sum(tf.mul(labels, logProbs), 1))) as tf.Scalar;
        const gradient = tf.div(tf.sub(tf.exp(logProbs), labels), logits.shape[0]) as tf.Tensor2D;
        return { loss, gradient };
      },
      predict: (logits) => tf.softmax(logits),
    };
  },
};
