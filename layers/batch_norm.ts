/**
 * Batch normalisation per channel (the last axis) over all other axes, with its hand-written backward pass: over
 * the batch for `[B, units]`, over batch, height and width for `[B, H, W, C]`. Used inside `dense` and `conv2d`
 * layers (`batchNorm: true`), giving the DNI paper's FC -> BN -> ReLU and conv -> BN -> ReLU blocks.
 *
 * Any input is handled as the matrix `[elements per channel, channels]` (a free reshape). A matrix input (the
 * dense case) runs exactly the operations it always ran; for images, the per-channel sums are matMuls with a row
 * of ones, several times faster on wasm than reductions over the leading axis.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { ForwardMode } from "./layer.ts";
import { channelSum } from "./_channel_sum.ts";
import { FUSED } from "../fused/names.ts";
import { runCnnKernel } from "./_cnn_kernels.ts";

/** Settings of a batch normalisation. */
export interface BatchNormOptions {
  /** Added to the variance. @default {1e-3} */
  epsilon?: number;
  /** Weight of the old value in the running statistics. @default {0.99} */
  momentum?: number;
}

/** What the forward pass keeps for the backward pass. */
export interface BatchNormCache {
  /** The normalised input (z - mean) / sqrt(var + eps), as a matrix [elements per channel, channels]. */
  normalized: tf.Tensor2D;
  /** 1 / sqrt(var + eps), [channels]. */
  invStd: tf.Tensor1D;
  /** The output, when ReLU was applied to it in the same kernel: `backward` then takes dL/d(ReLU's output). */
  activated?: tf.Tensor;
}

/**
 * Batch normalisation of `units` channels: y = gamma * (z - mean) / sqrt(var + eps) + beta, with mean and var
 * taken per channel (last axis) over all other axes.
 *
 * @example Normalise a batch of 2 x 2 images with 3 channels
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps.ts";
 * import { BatchNorm } from "./batch_norm.ts";
 *
 * const bn = new BatchNorm(3);
 * const z = tf.randomNormal([4, 2, 2, 3], 5, 2, "float32", 1);
 * const { output } = bn.forward(z, "probe");
 * assert.deepEqual(output.shape, [4, 2, 2, 3]);
 * const mean = tf.mean(output, [0, 1, 2]).dataSync(); // per channel, over batch, height and width
 * assert.ok(mean.every((m) => Math.abs(m) < 1e-4));
 * tf.dispose([z, output]);
 * bn.dispose();
 * ```
 */
export class BatchNorm {
  /** Scale, initialised to 1. */
  readonly gamma: tf.Variable;
  /** Shift, initialised to 0. */
  readonly beta: tf.Variable;
  /** Running mean, for evaluation. */
  readonly movingMean: tf.Variable;
  /** Running variance, for evaluation. */
  readonly movingVariance: tf.Variable;
  /** Added to the variance. */
  readonly epsilon: number;
  /** Weight of the old value in the running statistics. */
  readonly momentum: number;

  /**
   * Makes a batch normalisation with gamma 1, beta 0 and running statistics (0, 1).
   *
   * @param units Number of features.
   * @param options Epsilon and momentum.
   */
  constructor(units: number, { epsilon = 1e-3, momentum = 0.99 }: BatchNormOptions = {}) {
    this.epsilon = epsilon;
    this.momentum = momentum;
    this.gamma = tf.tidy(() => tf.variable(tf.ones([units]), true));
    this.beta = tf.tidy(() => tf.variable(tf.zeros([units]), true));
    this.movingMean = tf.tidy(() => tf.variable(tf.zeros([units]), false));
    this.movingVariance = tf.tidy(() => tf.variable(tf.ones([units]), false));
  }

  /**
   * Normalises `z` (`[..., units]`, any rank); in `train` mode also updates the running statistics. With `relu`, a
   * backend that fuses batch norm (native) applies ReLU in the same pass and says so (`activated`); else the caller
   * applies it.
   */
  forward<T extends tf.Tensor>(
    input: T,
    mode: ForwardMode,
    relu = false,
  ): { output: T; cache: BatchNormCache; activated?: boolean } {
    const fused = mode === "eval" ? undefined : runCnnKernel(
      FUSED.batchNormForward,
      { x: input, gamma: this.gamma, beta: this.beta },
      { epsilon: this.epsilon, relu },
    );
    if (fused !== undefined) { // one pass for the statistics, one for the outputs (native)
      const [output, normalized, mean, variance, invStd] = fused as [
        T,
        tf.Tensor2D,
        tf.Tensor1D,
        tf.Tensor1D,
        tf.Tensor1D,
      ];
      if (mode === "train") this.#updateMoving(mean, variance);
      tf.dispose([mean, variance]);
      if (!relu) return { output, cache: { normalized, invStd } };
      return { output, cache: { normalized, invStd, activated: output }, activated: true };
    }
    const z = asMatrix(input);
    let mean: tf.Tensor1D, variance: tf.Tensor1D;
    if (mode === "eval") {
      mean = this.movingMean as tf.Tensor1D;
      variance = this.movingVariance as tf.Tensor1D;
    } else {
      if (input.rank === 2) {
        const moments = tf.moments(z, 0);
        mean = moments.mean as tf.Tensor1D;
        variance = moments.variance as tf.Tensor1D;
      } else {
        const count = z.shape[0];
        mean = tf.div(channelSum(z), count);
        variance = tf.div(channelSum(tf.squaredDifference(z, mean)), count);
      }
      if (mode === "train") this.#updateMoving(mean, variance);
    }
    const invStd = tf.rsqrt(tf.add(variance, this.epsilon)) as tf.Tensor1D;
    const normalized = tf.mul(tf.sub(z, mean), invStd) as tf.Tensor2D;
    const output = tf.add(tf.mul(normalized, this.gamma), this.beta);
    return { output: reshapeLike(output, input), cache: { normalized, invStd } };
  }

  #updateMoving(mean: tf.Tensor1D, variance: tf.Tensor1D): void {
    const m = this.momentum;
    tf.tidy(() => {
      this.movingMean.assign(tf.add(tf.mul(this.movingMean, m), tf.mul(mean, 1 - m)));
      this.movingVariance.assign(tf.add(tf.mul(this.movingVariance, m), tf.mul(variance, 1 - m)));
    });
  }

  /**
   * dL/dz and the gradients of gamma and beta, from dL/dy of any rank (batch statistics, as in training). The
   * count in the formula is the number of elements per channel (B, or B * H * W).
   */
  backward<T extends tf.Tensor>(
    cache: BatchNormCache,
    outputGradient: T,
  ): { dz: T; dGamma: tf.Tensor1D; dBeta: tf.Tensor1D } {
    const { normalized, invStd, activated } = cache;
    const inputs = { dy: outputGradient, normalized, gamma: this.gamma, invStd };
    const fused = runCnnKernel(FUSED.batchNormBackward, activated ? { ...inputs, y: activated } : inputs);
    if (fused !== undefined) { // two passes (native)
      const [dz, dGamma, dBeta] = fused as [T, tf.Tensor1D, tf.Tensor1D];
      return { dz, dGamma, dBeta };
    }
    const dy = asMatrix(activated ? tf.mul(outputGradient, tf.step(activated)) : outputGradient);
    const batch = dy.shape[0];
    const sum = outputGradient.rank === 2 ? (t: tf.Tensor) => tf.sum(t, 0) as tf.Tensor1D : channelSum;
    const dBeta = sum(dy);
    const dGamma = sum(tf.mul(dy, normalized));
    // dz = gamma * invStd / B * (B * dy - sum(dy) - normalized * sum(dy * normalized))
    const centered = tf.sub(tf.sub(tf.mul(dy, batch), dBeta), tf.mul(normalized, dGamma));
    const dz = tf.mul(centered, tf.div(tf.mul(this.gamma, invStd), batch));
    return { dz: reshapeLike(dz, outputGradient), dGamma, dBeta };
  }

  /** Frees the variables. */
  dispose(): void {
    for (const v of [this.gamma, this.beta, this.movingMean, this.movingVariance]) v.dispose();
  }
}

// `[..., C]` as `[elements per channel, C]`: the tensor itself when it is already a matrix (the dense case).
function asMatrix(t: tf.Tensor): tf.Tensor2D {
  return (t.rank === 2 ? t : tf.reshape(t, [-1, t.shape[t.rank - 1]!])) as tf.Tensor2D;
}

// `t` in the shape of `like`: `t` itself when the shapes already agree.
function reshapeLike<T extends tf.Tensor>(t: tf.Tensor, like: T): T {
  return (t.rank === like.rank ? t : tf.reshape(t, like.shape)) as T;
}
