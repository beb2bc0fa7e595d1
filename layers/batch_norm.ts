/**
 * Batch normalisation over the batch axis, with its hand-written backward pass. Used inside `dense` layers
 * (`batchNorm: true`), giving the DNI paper's FC -> BN -> ReLU blocks.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { ForwardMode } from "./layer.ts";

/** Settings of a batch normalisation. */
export interface BatchNormOptions {
  /** Added to the variance. @default {1e-3} */
  epsilon?: number;
  /** Weight of the old value in the running statistics. @default {0.99} */
  momentum?: number;
}

/** What the forward pass keeps for the backward pass. */
export interface BatchNormCache {
  /** The normalised input (z - mean) / sqrt(var + eps), [B, units]. */
  normalized: tf.Tensor2D;
  /** 1 / sqrt(var + eps), [units]. */
  invStd: tf.Tensor1D;
}

/** Batch normalisation of `units` features: y = gamma * (z - mean) / sqrt(var + eps) + beta. */
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

  /** Normalises `z`; in `train` mode also updates the running statistics. */
  forward(z: tf.Tensor2D, mode: ForwardMode): { output: tf.Tensor2D; cache: BatchNormCache } {
    let mean: tf.Tensor1D, variance: tf.Tensor1D;
    if (mode === "eval") {
      mean = this.movingMean as tf.Tensor1D;
      variance = this.movingVariance as tf.Tensor1D;
    } else {
      const moments = tf.moments(z, 0);
      mean = moments.mean as tf.Tensor1D;
      variance = moments.variance as tf.Tensor1D;
      if (mode === "train") {
        const m = this.momentum;
        this.movingMean.assign(tf.add(tf.mul(this.movingMean, m), tf.mul(mean, 1 - m)));
        this.movingVariance.assign(tf.add(tf.mul(this.movingVariance, m), tf.mul(variance, 1 - m)));
      }
    }
    const invStd = tf.rsqrt(tf.add(variance, this.epsilon)) as tf.Tensor1D;
    const normalized = tf.mul(tf.sub(z, mean), invStd) as tf.Tensor2D;
    const output = tf.add(tf.mul(normalized, this.gamma), this.beta) as tf.Tensor2D;
    return { output, cache: { normalized, invStd } };
  }

  /** dL/dz and the gradients of gamma and beta, from dL/dy (batch statistics, as in training). */
  backward(cache: BatchNormCache, dy: tf.Tensor2D): { dz: tf.Tensor2D; dGamma: tf.Tensor1D; dBeta: tf.Tensor1D } {
    const { normalized, invStd } = cache;
    const batch = dy.shape[0];
    const dBeta = tf.sum(dy, 0) as tf.Tensor1D;
    const dGamma = tf.sum(tf.mul(dy, normalized), 0) as tf.Tensor1D;
    // dz = gamma * invStd / B * (B * dy - sum(dy) - normalized * sum(dy * normalized))
    const centered = tf.sub(tf.sub(tf.mul(dy, batch), dBeta), tf.mul(normalized, dGamma));
    const dz = tf.mul(centered, tf.div(tf.mul(this.gamma, invStd), batch)) as tf.Tensor2D;
    return { dz, dGamma, dBeta };
  }

  /** Frees the variables. */
  dispose(): void {
    for (const v of [this.gamma, this.beta, this.movingMean, this.movingVariance]) v.dispose();
  }
}
