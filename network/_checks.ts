// Private: the shape checks of a training step, and the names the divergence guard gives a layer's gradients.
import type { tf } from "../deps.ts";
import type { Layer } from "../layers/layer.ts";

/** Throws a RangeError unless `x` is [B, inputUnits]. */
export function checkInput(x: tf.Tensor, inputUnits: number): void {
  if (x.rank !== 2 || x.shape[1] !== inputUnits) {
    throw new RangeError(`Network input must have shape [B, ${inputUnits}], got [${x.shape}]`);
  }
}

/** Throws a RangeError unless `x` is [B, inputUnits] and `labels` one-hot [B, outputUnits]. */
export function checkBatch(x: tf.Tensor, labels: tf.Tensor, inputUnits: number, outputUnits: number): void {
  checkInput(x, inputUnits);
  if (labels.rank !== 2 || labels.shape[0] !== x.shape[0] || labels.shape[1] !== outputUnits) {
    throw new RangeError(`Labels must be one-hot of shape [${x.shape[0]}, ${outputUnits}], got [${labels.shape}]`);
  }
}

/** Throws a RangeError naming the interface unless the gradient it gave from `method` has the trigger's shape. */
export function checkGradient(gradient: tf.Tensor, trigger: tf.Tensor, layer: number, type: string, method: string) {
  if (gradient.rank !== 2 || gradient.shape[0] !== trigger.shape[0] || gradient.shape[1] !== trigger.shape[1]) {
    throw new RangeError(
      `Interface "${type}" of layer ${layer} returned a gradient of shape [${gradient.shape}] from ${method}(), ` +
        `expected [${trigger.shape}]`,
    );
  }
}

/** Names the tensors the guard checks for layer `j`: its weight gradients, then the gradient it passes down. */
export function describeGradient(layer: Layer, j: number): (k: number) => string {
  return (k) =>
    k < layer.trainable.length
      ? `the weight gradient of layer ${j} (${layer.type}, trainable[${k}])`
      : `the gradient layer ${j} passes down (dL/dx)`;
}
