/**
 * The fully connected layer: y = activation(BN?(x W + b)). Its backward pass takes matmul gradients through
 * explicit transposes: stock tfjs-wasm runs transposed matmuls ~10x slower than plain ones (see the README).
 *
 * @module
 */
import { tf } from "../deps.ts";
import { bool, checkObject, oneOf, positiveInt } from "../_validate.ts";
import { SpecError } from "../errors.ts";
import { type Activation, ACTIVATION_NAMES, ACTIVATIONS } from "./activation.ts";
import type { BatchNorm, BatchNormCache } from "./batch_norm.ts";
import { KernelBlock } from "./_kernel_block.ts";
import { matMulT } from "./_matmul.ts";
import {
  type ForwardMode,
  type Layer,
  type LayerCache,
  type LayerConfig,
  type LayerContext,
  type LayerGradients,
  type Shape,
  showShape,
} from "./layer.ts";

/** The fields of a dense layer's spec. */
export interface DenseConfig extends LayerConfig {
  /** Always `"dense"`. */
  type: "dense";
  /** Output width. */
  units: number;
  /** `linear` (default), `relu`, `tanh` or `sigmoid`. */
  activation?: string;
  /** Batch normalisation between the product and the activation. @default {false} */
  batchNorm?: boolean;
}

interface DenseCache {
  x: tf.Tensor2D;
  preActivation: tf.Tensor;
  output: tf.Tensor2D;
  bn?: BatchNormCache;
}

/** Fields a dense spec may have (a network spec adds `interface` and `optimizer`, which the network owns). */
export const DENSE_FIELDS = ["type", "units", "activation", "batchNorm"] as const;

/** The most weights one dense layer's kernel may have (2^26, 256 MiB of float32): beyond it, a spec is a typo. */
export const MAX_KERNEL_WEIGHTS: number = 2 ** 26;

/**
 * Throws unless a kernel (`kernel` describes it, e.g. `784 x 256 kernel`) of `weights` weights is within
 * `MAX_KERNEL_WEIGHTS`; the error names the spec field `path` and its `value`. Every layer with a kernel checks here.
 *
 * @throws {SpecError} Naming the field, the kernel and the bound.
 */
export function checkKernelWeights(path: string, value: unknown, kernel: string, weights: number): void {
  if (weights <= MAX_KERNEL_WEIGHTS) return;
  throw new SpecError(
    path,
    value,
    `gives a ${kernel} of ${weights} weights, more than the ${MAX_KERNEL_WEIGHTS} one layer may have`,
  );
}

/**
 * A fully connected layer with Glorot-uniform weights drawn from the context's seeded generator.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dense, Random, tf } from "../mod.ts";
 *
 * const layer = new Dense({ type: "dense", units: 3, activation: "relu" }, {
 *   inputShape: [2],
 *   path: "layers[0]",
 *   random: new Random(1),
 * });
 * const x = tf.ones([4, 2]) as tf.Tensor2D;
 * const { output } = layer.forward(x, "eval");
 * assert.deepEqual(output.shape, [4, 3]);
 * assert.ok(output.dataSync().every((v) => v >= 0)); // relu
 * assert.equal(layer.toString(), "dense(2 -> 3, relu)");
 * tf.dispose([x, output]);
 * layer.dispose();
 * ```
 */
export class Dense implements Layer {
  /** The registered type name. */
  readonly type = "dense";
  /** Width of the input. */
  readonly inputUnits: number;
  /** Width of the output. */
  readonly units: number;
  /** `[inputUnits]`. */
  readonly inputShape: Shape;
  /** `[units]`. */
  readonly outputShape: Shape;
  /** Multiply-adds per example of the forward pass. */
  readonly multiplyAdds: number;
  /** The weights W, [inputUnits, units]. */
  readonly kernel: tf.Variable;
  /** The bias b, [units]; absent with batch norm (its beta takes the place). */
  readonly bias?: tf.Variable;
  /** The batch normalisation, when the spec asks for it. */
  readonly batchNorm?: BatchNorm;
  /** Trainable variables, in the order `backward` returns their gradients. */
  readonly trainable: readonly tf.Variable[];
  /** Non-trainable state: batch norm's running statistics, if any. */
  readonly state: readonly tf.Variable[];
  readonly variableNames: readonly string[];
  readonly #activationName: string;
  readonly #activation: Activation;
  readonly #block: KernelBlock;

  /**
   * Makes the layer from its spec, drawing the initial weights from the context's generator.
   *
   * @param config The layer's spec.
   * @param context Input shape (`[features]`), spec path and seeded generator.
   * @throws {SpecError} If a field is missing or invalid, the input is not flat, or the kernel would have more than
   *   `MAX_KERNEL_WEIGHTS` weights.
   */
  constructor(config: LayerConfig, { inputShape, path, random }: LayerContext) {
    checkObject(path, config, DENSE_FIELDS, "interface, optimizer, forwardUnlock");
    if (inputShape.length !== 1) {
      throw new SpecError(
        `${path}.type`,
        config.type,
        `takes a flat input [features] but would get ${showShape(inputShape)} per example ` +
          `(put { "type": "flatten" } before it)`,
      );
    }
    const inputUnits = inputShape[0]!;
    this.units = positiveInt(`${path}.units`, config.units);
    checkKernelWeights(`${path}.units`, config.units, `${inputUnits} x ${this.units} kernel`, inputUnits * this.units);
    this.#activationName = oneOf(`${path}.activation`, config.activation, ACTIVATION_NAMES, "linear");
    this.#activation = ACTIVATIONS[this.#activationName]!;
    const useBatchNorm = bool(`${path}.batchNorm`, config.batchNorm, false);
    this.inputUnits = inputUnits;
    this.inputShape = [inputUnits];
    this.outputShape = [this.units];
    this.multiplyAdds = inputUnits * this.units;
    this.#block = new KernelBlock([inputUnits, this.units], inputUnits, this.units, this.units, useBatchNorm, random);
    ({
      kernel: this.kernel,
      bias: this.bias,
      batchNorm: this.batchNorm,
      trainable: this.trainable,
      state: this.state,
      variableNames: this.variableNames,
    } = this.#block);
  }

  forward(input: tf.Tensor, mode: ForwardMode): { output: tf.Tensor2D; cache: LayerCache } {
    const x = input as tf.Tensor2D;
    const activation = this.#block.fusedActivation(this.#activationName);
    if (activation !== undefined) {
      // One kernel for matmul, bias and activation; ReLU's backward reads the sign of its output.
      const output = tf.fused.matMul({
        a: x,
        b: this.kernel as tf.Tensor2D,
        bias: this.bias,
        activation,
      }) as tf.Tensor2D;
      return { output, cache: { x, preActivation: output, output } satisfies DenseCache };
    }
    const { z: preActivation, bn } = this.#block.finish(tf.matMul(x, this.kernel), mode);
    const output = this.#activation.apply(preActivation) as tf.Tensor2D;
    return { output, cache: { x, preActivation, output, bn } satisfies DenseCache };
  }

  backward(cache: unknown, outputGradient: tf.Tensor, needInputGradient: boolean): LayerGradients {
    const { dz, gradients } = this.#weightGradients(cache as DenseCache, outputGradient as tf.Tensor2D);
    const inputGradient = needInputGradient ? matMulT(dz, this.kernel as tf.Tensor2D, false, true) : undefined;
    return { inputGradient, gradients };
  }

  /**
   * Not part of the Layer contract: the backward pass with dL/d(input) = `tf.matMul(factors[0], factors[1])` given
   * as its two factors (dz and a copy of W^T), so that a pipeline stage can leave the product to the stage below.
   */
  backwardFactored(
    cache: LayerCache,
    outputGradient: tf.Tensor,
  ): { gradients: tf.Tensor[]; factors: [tf.Tensor2D, tf.Tensor2D] } {
    const { dz, gradients } = this.#weightGradients(cache as DenseCache, outputGradient as tf.Tensor2D);
    // A copy of the kernel's transpose: the optimizer replaces the kernel before the product is taken.
    return { gradients, factors: [dz, tf.transpose(this.kernel) as tf.Tensor2D] };
  }

  #weightGradients(cache: DenseCache, outputGradient: tf.Tensor2D): { dz: tf.Tensor2D; gradients: tf.Tensor[] } {
    const { x, preActivation, output, bn } = cache;
    const activated = this.#activation.backward(outputGradient, preActivation, output);
    const { dz, tail } = this.#block.backward(activated, bn, (t) => tf.sum(t, 0));
    return { dz: dz as tf.Tensor2D, gradients: [matMulT(x, dz as tf.Tensor2D, true, false), ...tail] };
  }

  getConfig(): DenseConfig {
    const config: DenseConfig = { type: "dense", units: this.units, activation: this.#activationName };
    if (this.batchNorm) config.batchNorm = true;
    return config;
  }

  dispose(): void {
    this.#block.dispose();
  }

  /** The layer's structure, e.g. `dense(784 -> 256, bn, relu)`. */
  toString(): string {
    return `dense(${this.inputUnits} -> ${this.units}${this.batchNorm ? ", bn" : ""}, ${this.#activationName})`;
  }
}
