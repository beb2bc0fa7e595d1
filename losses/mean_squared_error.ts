/**
 * Mean squared error against the one-hot labels: L = mean_b(sum_k (z_bk - y_bk)^2), dL/dz = 2 (z - y) / B.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Loss, LossFactory } from "./loss.ts";

/** The mean-squared-error loss; fits any output layer. */
export const meanSquaredError: LossFactory = {
  checkOutput() {},
  create(): Loss {
    return {
      type: "mse",
      compute(output, labels) {
        const diff = tf.sub(output, labels);
        const loss = tf.mean(tf.sum(tf.square(diff), 1)) as tf.Scalar;
        const gradient = tf.mul(diff, 2 / output.shape[0]) as tf.Tensor2D;
        return { loss, gradient };
      },
      predict: (output) => output,
    };
  },
};
