/**
 * The flatten layer: `[B, ...shape]` to `[B, size]`, e.g. between the last convolution or pooling layer and the
 * first dense layer. No variables; its backward pass reshapes the gradient back.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { checkObject } from "../_validate.ts";
import type { ForwardMode, Layer, LayerCache, LayerConfig, LayerContext, LayerGradients, Shape } from "./layer.ts";
import { showShape, sizeOf } from "./layer.ts";

/** The fields of a flatten layer's spec: only its type. */
export interface FlattenConfig extends LayerConfig {
  /** Always `"flatten"`. */
  type: "flatten";
}

/** Fields a flatten spec may have. */
export const FLATTEN_FIELDS = ["type"] as const;

/**
 * Flattens each example to a vector, in row-major (NHWC) order.
 *
 * @example Flatten 7x7x32 feature maps for a dense layer
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps.ts";
 * import { Random } from "../random.ts";
 * import { Flatten } from "./flatten.ts";
 *
 * const layer = new Flatten({ type: "flatten" }, { inputShape: [7, 7, 32], path: "layers[4]", random: new Random(0) });
 * assert.deepEqual(layer.outputShape, [1568]);
 * assert.equal(layer.toString(), "flatten([7, 7, 32] -> [1568])");
 * const x = tf.zeros([2, 7, 7, 32]);
 * const { output, cache } = layer.forward(x, "eval");
 * assert.deepEqual(output.shape, [2, 1568]);
 * const { inputGradient } = layer.backward(cache, tf.onesLike(output), true);
 * assert.deepEqual(inputGradient!.shape, [2, 7, 7, 32]);
 * tf.dispose([x, output, inputGradient!]);
 * ```
 */
export class Flatten implements Layer {
  /** The registered type name. */
  readonly type = "flatten";
  /** Any shape. */
  readonly inputShape: Shape;
  /** `[size of inputShape]`. */
  readonly outputShape: Shape;
  /** None. */
  readonly trainable: readonly tf.Variable[] = [];
  /** None. */
  readonly state: readonly tf.Variable[] = [];
  /** No arithmetic. */
  readonly multiplyAdds = 0;

  /**
   * Makes the layer from its spec.
   *
   * @param config The layer's spec, `{ type: "flatten" }`.
   * @param context Input shape and spec path.
   * @throws {SpecError} If the spec has other fields.
   */
  constructor(config: LayerConfig, { inputShape, path }: LayerContext) {
    checkObject(path, config, FLATTEN_FIELDS, "interface, optimizer, forwardUnlock");
    this.inputShape = [...inputShape];
    this.outputShape = [sizeOf(inputShape)];
  }

  forward(x: tf.Tensor, _mode: ForwardMode): { output: tf.Tensor2D; cache: LayerCache } {
    return { output: tf.reshape(x, [x.shape[0]!, this.outputShape[0]!]), cache: x.shape };
  }

  backward(cache: LayerCache, outputGradient: tf.Tensor, needInputGradient: boolean): LayerGradients {
    if (!needInputGradient) return { gradients: [] };
    return { inputGradient: tf.reshape(outputGradient, cache as number[]), gradients: [] };
  }

  getConfig(): FlattenConfig {
    return { type: "flatten" };
  }

  dispose(): void {}

  /** The layer's structure, e.g. `flatten([7, 7, 32] -> [1568])`. */
  toString(): string {
    return `flatten(${showShape(this.inputShape)} -> ${showShape(this.outputShape)})`;
  }
}
