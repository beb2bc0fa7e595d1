/**
 * The 2-D convolution layer (NHWC): y = activation(BN?(conv2d(x, K) + b)). On wasm its backward pass runs on
 * kernels that tfjs-wasm has and that are fast there: the filter gradient by im2col or a swapped convolution (wasm
 * has no `Conv2DBackpropFilter`), the input gradient by a convolution with the turned kernel. On the native backend
 * (BLAS) both gradients are that backend's own kernels, and convolution, bias and ReLU are one fused kernel.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { bool, checkObject, oneOf, positiveInt } from "../_validate.ts";
import { SpecError } from "../errors.ts";
import { type Activation, ACTIVATION_NAMES, ACTIVATIONS } from "./activation.ts";
import type { BatchNorm, BatchNormCache } from "./batch_norm.ts";
import { KernelBlock } from "./_kernel_block.ts";
import { conv2dFilterGradient } from "./_conv_filter_gradient.ts";
import { conv2dInputGradient } from "./_conv_input_gradient.ts";
import { channelSum } from "./_channel_sum.ts";
import type { ForwardMode, Layer, LayerCache, LayerConfig, LayerContext, LayerGradients, Shape } from "./layer.ts";
import { showShape } from "./layer.ts";
import { checkKernelWeights } from "./dense.ts";
import { compactPair, imageWindow, type Padding, PADDINGS, pair } from "./_window.ts";

/** The fields of a conv2d layer's spec. */
export interface Conv2DConfig extends LayerConfig {
  /** Always `"conv2d"`. */
  type: "conv2d";
  /** Number of output channels. */
  filters: number;
  /** Kernel height and width: `n` for `n x n`, or `[h, w]`. */
  kernelSize: number | [number, number];
  /** Steps between windows: `n` or `[h, w]`. @default {1} */
  strides?: number | [number, number];
  /** `valid` (no padding, the default, as in Keras) or `same` (output size = input size / stride). */
  padding?: "valid" | "same";
  /** `linear` (default), `relu`, `tanh` or `sigmoid`. */
  activation?: string;
  /** Batch normalisation per channel between the convolution and the activation (no bias then). @default {false} */
  batchNorm?: boolean;
}

interface Conv2DCache {
  x: tf.Tensor4D;
  preActivation: tf.Tensor4D;
  output: tf.Tensor4D;
  bn?: BatchNormCache;
}

/** Fields a conv2d spec may have (a network spec adds `interface` and `optimizer`, which the network owns). */
export const CONV2D_FIELDS = [
  "type",
  "filters",
  "kernelSize",
  "strides",
  "padding",
  "activation",
  "batchNorm",
] as const;

/**
 * A 2-D convolution over images `[B, H, W, C]`, with a Glorot-uniform kernel `[kh, kw, C, filters]` (fan in
 * kh * kw * C, fan out kh * kw * filters) drawn from the context's seeded generator and a zero bias.
 *
 * @example A 5x5 "same" convolution of MNIST-sized images
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps.ts";
 * import { Random } from "../random.ts";
 * import { Conv2D } from "./conv2d.ts";
 *
 * const layer = new Conv2D(
 *   { type: "conv2d", filters: 16, kernelSize: 5, padding: "same", activation: "relu", batchNorm: true },
 *   { inputShape: [28, 28, 1], path: "layers[0]", random: new Random(1) },
 * );
 * assert.deepEqual(layer.outputShape, [28, 28, 16]);
 * assert.equal(layer.toString(), "conv2d([28, 28, 1] -> [28, 28, 16], 5x5, same, bn, relu)");
 * const x = tf.randomUniform([2, 28, 28, 1], 0, 1, "float32", 1);
 * const { output, cache } = layer.forward(x, "train");
 * assert.deepEqual(output.shape, [2, 28, 28, 16]);
 * const { inputGradient, gradients } = layer.backward(cache, tf.onesLike(output), false);
 * assert.equal(inputGradient, undefined); // not asked for
 * assert.deepEqual(gradients.map((g) => g.shape), [[5, 5, 1, 16], [16], [16]]); // kernel, gamma, beta
 * tf.dispose([x, output, ...gradients]);
 * layer.dispose();
 * ```
 */
export class Conv2D implements Layer {
  /** The registered type name. */
  readonly type = "conv2d";
  /** `[H, W, C]`. */
  readonly inputShape: Shape;
  /** `[outH, outW, filters]`. */
  readonly outputShape: Shape;
  /** Multiply-adds per example of the forward pass: outH * outW * filters * kh * kw * C. */
  readonly multiplyAdds: number;
  /** Number of output channels. */
  readonly filters: number;
  /** `[kh, kw]`. */
  readonly kernelSize: [number, number];
  /** `[sh, sw]`. */
  readonly strides: [number, number];
  /** `valid` or `same`. */
  readonly padding: "valid" | "same";
  /** The kernel K, `[kh, kw, C, filters]`. */
  readonly kernel: tf.Variable;
  /** The bias b, `[filters]`; absent with batch norm (its beta takes the place). */
  readonly bias?: tf.Variable;
  /** The batch normalisation, when the spec asks for it. */
  readonly batchNorm?: BatchNorm;
  /** Trainable variables, in the order `backward` returns their gradients. */
  readonly trainable: readonly tf.Variable[];
  /** Non-trainable state: batch norm's running statistics, if any. */
  readonly state: readonly tf.Variable[];
  /** Names of `[...trainable, ...state]`. */
  readonly variableNames: readonly string[];
  readonly #pad: [[number, number], [number, number]];
  readonly #activationName: string;
  readonly #activation: Activation;
  readonly #block: KernelBlock;

  /**
   * Makes the layer from its spec, drawing the initial kernel from the context's generator.
   *
   * @param config The layer's spec.
   * @param context Input shape (`[H, W, C]`), spec path and seeded generator.
   * @throws {SpecError} If a field is missing or invalid, the input is not an image `[H, W, C]`, the kernel does
   *   not fit the input, or the kernel would have more than `MAX_KERNEL_WEIGHTS` weights.
   */
  constructor(config: LayerConfig, { inputShape, path, random }: LayerContext) {
    checkObject(path, config, CONV2D_FIELDS, "interface, optimizer, forwardUnlock");
    this.filters = positiveInt(`${path}.filters`, config.filters);
    if (config.kernelSize === undefined) {
      throw new SpecError(`${path}.kernelSize`, undefined, "is required: give n (n x n) or [height, width]");
    }
    this.kernelSize = pair(`${path}.kernelSize`, config.kernelSize);
    this.strides = pair(`${path}.strides`, config.strides, [1, 1]);
    this.padding = oneOf(`${path}.padding`, config.padding, PADDINGS, "valid") as Padding;
    this.#activationName = oneOf(`${path}.activation`, config.activation, ACTIVATION_NAMES, "linear");
    this.#activation = ACTIVATIONS[this.#activationName]!;
    const useBatchNorm = bool(`${path}.batchNorm`, config.batchNorm, false);
    const window = imageWindow(path, "conv2d", inputShape, this.kernelSize, this.strides, this.padding, "kernelSize");
    const [kh, kw] = this.kernelSize;
    const channels = inputShape[2]!;
    const weights = kh * kw * channels * this.filters;
    checkKernelWeights(
      `${path}.filters`,
      config.filters,
      `${showShape([kh, kw, channels, this.filters])} kernel`,
      weights,
    );
    this.#pad = window.pad;
    this.inputShape = [...inputShape];
    this.outputShape = [...window.out, this.filters];
    this.multiplyAdds = window.out[0] * window.out[1] * weights;
    const block = new KernelBlock(
      [kh, kw, channels, this.filters],
      kh * kw * channels,
      kh * kw * this.filters,
      this.filters,
      useBatchNorm,
      random,
    );
    this.#block = block;
    ({
      kernel: this.kernel,
      bias: this.bias,
      batchNorm: this.batchNorm,
      trainable: this.trainable,
      state: this.state,
      variableNames: this.variableNames,
    } = block);
  }

  forward(input: tf.Tensor, mode: ForwardMode): { output: tf.Tensor4D; cache: LayerCache } {
    const x = input as tf.Tensor4D;
    const [[top, bottom], [left, right]] = this.#pad;
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ];
    const activation = this.#block.fusedActivation(this.#activationName);
    if (activation !== undefined) {
      // One kernel for the convolution, the bias and the activation; ReLU's backward reads the sign of its output.
      const output = tf.fused.conv2d({
        x,
        filter: this.kernel as tf.Tensor4D,
        strides: this.strides,
        pad,
        bias: this.bias,
        activation,
      });
      return { output, cache: { x, preActivation: output, output } satisfies Conv2DCache };
    }
    const product = tf.conv2d(x, this.kernel as tf.Tensor4D, this.strides, pad);
    // With batch norm and ReLU, the native backend normalises and applies ReLU in one kernel (`activated`).
    const { z, bn, activated } = this.#block.finish(product, mode, this.#activationName === "relu");
    const preActivation = z as tf.Tensor4D;
    const output = activated ? preActivation : this.#activation.apply(preActivation) as tf.Tensor4D;
    return { output, cache: { x, preActivation, output, bn } satisfies Conv2DCache };
  }

  backward(cache: LayerCache, outputGradient: tf.Tensor, needInputGradient: boolean): LayerGradients {
    const { x, preActivation, output, bn } = cache as Conv2DCache;
    const activated = bn?.activated // ReLU's backward happens inside batch norm's
      ? outputGradient
      : this.#activation.backward(outputGradient as tf.Tensor4D, preActivation, output);
    const { dz: product, tail } = this.#block.backward(activated, bn, channelSum);
    const dz = product as tf.Tensor4D;
    const kernelGradient = conv2dFilterGradient(x, dz, this.kernelSize, this.strides, this.#pad);
    const inputGradient = needInputGradient
      ? conv2dInputGradient(dz, this.kernel as tf.Tensor4D, x.shape, this.strides, this.#pad)
      : undefined;
    return { inputGradient, gradients: [kernelGradient, ...tail] };
  }

  getConfig(): Conv2DConfig {
    const config: Conv2DConfig = {
      type: "conv2d",
      filters: this.filters,
      kernelSize: compactPair(this.kernelSize),
      strides: compactPair(this.strides),
      padding: this.padding,
      activation: this.#activationName,
    };
    if (this.batchNorm) config.batchNorm = true;
    return config;
  }

  dispose(): void {
    this.#block.dispose();
  }

  /** The layer's structure, e.g. `conv2d([28, 28, 1] -> [28, 28, 16], 5x5, same, bn, relu)`. */
  toString(): string {
    const [sh, sw] = this.strides;
    return `conv2d(${showShape(this.inputShape)} -> ${showShape(this.outputShape)}, ` +
      `${this.kernelSize[0]}x${this.kernelSize[1]}${sh !== 1 || sw !== 1 ? `, stride ${sh}x${sw}` : ""}, ` +
      `${this.padding}${this.batchNorm ? ", bn" : ""}, ${this.#activationName})`;
  }
}
