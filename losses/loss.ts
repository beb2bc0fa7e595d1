/**
 * The loss contract: a loss gives its value and its gradient with respect to the network's output, by hand.
 *
 * @module
 */
import type { tf } from "../deps.ts";
import type { LayerConfig } from "../layers/layer.ts";

/** A loss: mean over the batch of a per-example loss. */
export interface Loss {
  /** The registered name. */
  readonly type: string;
  /** The loss (a scalar, batch mean) and dL/d(output) [B, units]. */
  compute(output: tf.Tensor2D, labels: tf.Tensor2D): { loss: tf.Scalar; gradient: tf.Tensor2D };
  /** The network's prediction (class probabilities or values) from its output. */
  predict(output: tf.Tensor2D): tf.Tensor2D;
}

/** Builds a loss; `checkOutput` rejects an output layer the loss does not fit (throws `SpecError`). */
export interface LossFactory {
  /** Throws a `SpecError` naming `path` if the output layer does not fit this loss. */
  checkOutput(output: LayerConfig, path: string): void;
  /** Creates the loss. */
  create(): Loss;
}
