/**
 * The 2-D max pooling layer (NHWC), without variables. Its backward pass is a mask of the windows' maxima times
 * the output gradient: for windows that tile the input (strides equal to the pool size, the usual case) in one
 * pass, about 2x faster on wasm than the `MaxPoolGrad` kernel, which moreover is wrong for some multi-channel
 * inputs on tfjs-backend-wasm 4.22; for other windows, one pass per window offset.
 *
 * On the native backend the forward pass records each window's argmax (one kernel) and the backward pass adds dy
 * there (one kernel, `native/kernels_cnn.ts`), as TF.js autodiff and PyTorch do: no mask.
 *
 * Ties: every input equal to its window's maximum receives the window's whole gradient (the mask; on native the
 * first maximum in the window, row by row, receives it), where TF.js autodiff gives it to one of them. Both agree whenever each window has a single maximum. After a ReLU, the common ties (windows
 * of zeros) get no gradient either way, since the ReLU's derivative at 0 is 0.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { checkObject, oneOf } from "../_validate.ts";
import { SpecError } from "../errors.ts";
import type { ForwardMode, Layer, LayerCache, LayerConfig, LayerContext, LayerGradients, Shape } from "./layer.ts";
import { showShape } from "./layer.ts";
import { maxPoolGradient } from "./_max_pool_gradient.ts";
import { compactPair, imageWindow, type Padding, PADDINGS, pair } from "./_window.ts";
import { FUSED } from "../fused/names.ts";
import { runCnnKernel } from "./_cnn_kernels.ts";

/** The fields of a maxPool2d layer's spec. */
export interface MaxPool2DConfig extends LayerConfig {
  /** Always `"maxPool2d"`. */
  type: "maxPool2d";
  /** Window height and width: `n` for `n x n`, or `[h, w]`. */
  poolSize: number | [number, number];
  /** Steps between windows: `n` or `[h, w]`. @default {poolSize} */
  strides?: number | [number, number];
  /** `valid` (the default) or `same`. */
  padding?: "valid" | "same";
}

interface MaxPool2DCache {
  x: tf.Tensor4D;
  output: tf.Tensor4D;
  /** Where each window's maximum is (flat indices into x), from the native kernel; else the mask is built. */
  argmax?: tf.Tensor4D;
}

/** Fields a maxPool2d spec may have. */
export const MAX_POOL2D_FIELDS = ["type", "poolSize", "strides", "padding"] as const;

/**
 * Max pooling over windows of images `[B, H, W, C]`, channel by channel.
 *
 * @example Halve 28x28 feature maps
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps.ts";
 * import { Random } from "../random.ts";
 * import { MaxPool2D } from "./max_pool2d.ts";
 *
 * const pool = new MaxPool2D({ type: "maxPool2d", poolSize: 2 }, {
 *   inputShape: [28, 28, 16],
 *   path: "layers[1]",
 *   random: new Random(0),
 * });
 * assert.equal(pool.toString(), "maxPool2d([28, 28, 16] -> [14, 14, 16], 2x2, valid)");
 * const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
 * const pooled = new MaxPool2D({ type: "maxPool2d", poolSize: 2 }, { inputShape: [2, 2, 1], path: "p", random: new Random(0) });
 * const { output, cache } = pooled.forward(x, "eval");
 * assert.deepEqual([...output.dataSync()], [4]);
 * const { inputGradient } = pooled.backward(cache, tf.ones([1, 1, 1, 1]), true);
 * assert.deepEqual([...inputGradient!.dataSync()], [0, 0, 0, 1]); // the gradient goes to the maximum
 * tf.dispose([x, output, inputGradient!]);
 * ```
 */
export class MaxPool2D implements Layer {
  /** The registered type name. */
  readonly type = "maxPool2d";
  /** `[H, W, C]`. */
  readonly inputShape: Shape;
  /** `[outH, outW, C]`. */
  readonly outputShape: Shape;
  /** None. */
  readonly trainable: readonly tf.Variable[] = [];
  /** None. */
  readonly state: readonly tf.Variable[] = [];
  /** Comparisons per example of the forward pass (counted as multiply-adds, for balancing). */
  readonly multiplyAdds: number;
  /** `[ph, pw]`. */
  readonly poolSize: [number, number];
  /** `[sh, sw]`. */
  readonly strides: [number, number];
  /** `valid` or `same`. */
  readonly padding: "valid" | "same";
  readonly #pad: [[number, number], [number, number]];

  /**
   * Makes the layer from its spec.
   *
   * @param config The layer's spec.
   * @param context Input shape (`[H, W, C]`) and spec path.
   * @throws {SpecError} If a field is invalid, the input is not an image, or the window does not fit it.
   */
  constructor(config: LayerConfig, { inputShape, path }: LayerContext) {
    checkObject(path, config, MAX_POOL2D_FIELDS, "interface, optimizer, forwardUnlock");
    if (config.poolSize === undefined) {
      throw new SpecError(`${path}.poolSize`, undefined, "is required: give n (n x n) or [height, width]");
    }
    this.poolSize = pair(`${path}.poolSize`, config.poolSize);
    this.strides = pair(`${path}.strides`, config.strides, this.poolSize);
    this.padding = oneOf(`${path}.padding`, config.padding, PADDINGS, "valid") as Padding;
    const window = imageWindow(path, "maxPool2d", inputShape, this.poolSize, this.strides, this.padding, "poolSize");
    this.inputShape = [...inputShape];
    this.outputShape = [...window.out, inputShape[2]!];
    this.multiplyAdds = window.out[0] * window.out[1] * inputShape[2]! * this.poolSize[0] * this.poolSize[1];
    this.#pad = window.pad;
  }

  forward(input: tf.Tensor, _mode: ForwardMode): { output: tf.Tensor4D; cache: LayerCache } {
    const x = input as tf.Tensor4D;
    const [ph, pw] = this.poolSize, [sh, sw] = this.strides, [[top], [left]] = this.#pad;
    const [outH, outW] = this.outputShape as [number, number, number];
    const fused = runCnnKernel(FUSED.maxPoolArgmax, { x }, { ph, pw, sh, sw, top, left, outH, outW });
    if (fused !== undefined) { // native: the argmax recorded in the same pass
      const [output, argmax] = fused as [tf.Tensor4D, tf.Tensor4D];
      return { output, cache: { x, output, argmax } satisfies MaxPool2DCache };
    }
    const output = tf.maxPool(x, this.poolSize, this.strides, this.padding);
    return { output, cache: { x, output } satisfies MaxPool2DCache };
  }

  backward(cache: LayerCache, outputGradient: tf.Tensor, needInputGradient: boolean): LayerGradients {
    if (!needInputGradient) return { gradients: [] };
    const { x, output, argmax } = cache as MaxPool2DCache;
    const dy = outputGradient as tf.Tensor4D;
    const [height, width] = this.inputShape as [number, number, number];
    const scattered = argmax && runCnnKernel(FUSED.maxPoolArgmaxGrad, { dy, argmax }, { height, width });
    if (scattered) return { inputGradient: scattered[0], gradients: [] };
    return { inputGradient: maxPoolGradient(x, output, dy, this.poolSize, this.strides, this.#pad), gradients: [] };
  }

  getConfig(): MaxPool2DConfig {
    return {
      type: "maxPool2d",
      poolSize: compactPair(this.poolSize),
      strides: compactPair(this.strides),
      padding: this.padding,
    };
  }

  dispose(): void {}

  /** The layer's structure, e.g. `maxPool2d([28, 28, 16] -> [14, 14, 16], 2x2, valid)`. */
  toString(): string {
    const [ph, pw] = this.poolSize, [sh, sw] = this.strides;
    const stride = sh !== ph || sw !== pw ? `, stride ${sh}x${sw}` : "";
    return `maxPool2d(${showShape(this.inputShape)} -> ${showShape(this.outputShape)}, ${ph}x${pw}${stride}, ` +
      `${this.padding})`;
  }
}
