// Private: the shape checks of a training step, and the names the divergence guard gives a layer's gradients.
import type { NeuralInterface } from "../interfaces/interface.ts";
import type { tf } from "../deps.ts";
import { type Layer, type Shape, showShape, sizeOf } from "../layers/layer.ts";

/** Throws a RangeError unless `x` is `[B, ...inputShape]` or flat `[B, size]`. */
export function checkInput(x: tf.Tensor, inputShape: Shape): void {
  const flat = x.rank === 2 && x.shape[1] === sizeOf(inputShape);
  const shaped = x.rank === inputShape.length + 1 && inputShape.every((d, i) => x.shape[i + 1] === d);
  if (!flat && !shaped) {
    const expected = inputShape.length === 1
      ? `[B, ${inputShape[0]}]`
      : `[B, ${inputShape.join(", ")}] or [B, ${sizeOf(inputShape)}]`;
    throw new RangeError(`Network input must have shape ${expected}, got ${showShape(x.shape)}`);
  }
}

/** Throws a RangeError unless `x` fits the input shape and `labels` is one-hot [B, outputUnits]. */
export function checkBatch(x: tf.Tensor, labels: tf.Tensor, inputShape: Shape, outputUnits: number): void {
  checkInput(x, inputShape);
  if (labels.rank !== 2 || labels.shape[0] !== x.shape[0] || labels.shape[1] !== outputUnits) {
    throw new RangeError(`Labels must be one-hot of shape [${x.shape[0]}, ${outputUnits}], got [${labels.shape}]`);
  }
}

/** Throws a RangeError naming the interface unless the gradient it gave from `method` has the trigger's shape. */
export function checkGradient(gradient: unknown, trigger: tf.Tensor, layer: number, type: string, method: string) {
  const shape = (gradient as tf.Tensor | undefined)?.shape;
  if (!Array.isArray(shape) || shape.length !== trigger.rank || shape.some((d, i) => d !== trigger.shape[i])) {
    throw new RangeError(
      `Interface "${type}" of layer ${layer} returned ${
        Array.isArray(shape) ? `a gradient of shape ${showShape(shape)}` : String(gradient)
      } from ${method}(), expected a tensor of shape ${showShape(trigger.shape)}`,
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

/** Throws a RangeError unless the parts fit together: an interface per hidden layer, an optimizer per layer, and an
 * input synthesizer only where the interface decouples. */
export function checkParts(
  layers: readonly Layer[],
  interfaces: readonly NeuralInterface[],
  optimizers: readonly unknown[],
  inputSynthesizers: readonly unknown[],
): void {
  if (interfaces.length !== layers.length - 1 || optimizers.length !== layers.length) {
    throw new RangeError(
      `Network needs one interface per hidden layer and one optimizer per layer: got ${layers.length} layers, ` +
        `${interfaces.length} interfaces, ${optimizers.length} optimizers`,
    );
  }
  inputSynthesizers.forEach((unlock, i) => {
    if (unlock === undefined || interfaces[i]?.decouples === true) return;
    throw new RangeError(
      `Cannot forward-unlock layer ${i}: ${
        interfaces[i] ? `its interface "${interfaces[i]!.type}" does not decouple` : "it is not a hidden layer"
      }`,
    );
  });
}
