// Private: what dense and conv2d share. A kernel with Glorot-uniform initial weights, followed by batch
// normalisation (per channel, no bias) or a bias, and the backward step through that normalisation or bias.
import { tf } from "../deps.ts";
import type { Random } from "../random.ts";
import { BatchNorm, type BatchNormCache } from "./batch_norm.ts";
import type { ForwardMode } from "./layer.ts";
import { blasBacked } from "./_matmul.ts";

/** The variables of a layer's product and what follows it. */
export class KernelBlock {
  /** The kernel, of the shape given. */
  readonly kernel: tf.Variable;
  /** The bias, [width]; absent with batch norm (its beta takes the place). */
  readonly bias?: tf.Variable;
  /** The batch normalisation, when asked for. */
  readonly batchNorm?: BatchNorm;
  /** Trainable variables: kernel, then bias or gamma and beta. */
  readonly trainable: readonly tf.Variable[];
  /** Batch norm's running statistics, if any. */
  readonly state: readonly tf.Variable[];
  /** Names of `[...trainable, ...state]`. */
  readonly variableNames: readonly string[];

  /** Draws the kernel from `random`, uniform in +-sqrt(6 / (fanIn + fanOut)). */
  constructor(shape: number[], fanIn: number, fanOut: number, width: number, useBatchNorm: boolean, random: Random) {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const init = new Float32Array(shape.reduce((n, d) => n * d, 1));
    for (let i = 0; i < init.length; i++) init[i] = (2 * random.next() - 1) * limit;
    this.kernel = tf.tidy(() => tf.variable(tf.tensor(init, shape), true));
    if (useBatchNorm) {
      this.batchNorm = new BatchNorm(width);
      const { gamma, beta, movingMean, movingVariance } = this.batchNorm;
      this.trainable = [this.kernel, gamma, beta];
      this.state = [movingMean, movingVariance];
      this.variableNames = [
        "kernel",
        ...["gamma", "beta", "movingMean", "movingVariance"].map((n) => `batchNorm.${n}`),
      ];
    } else {
      this.bias = tf.tidy(() => tf.variable(tf.zeros([width]), true));
      this.trainable = [this.kernel, this.bias];
      this.state = [];
      this.variableNames = ["kernel", "bias"];
    }
  }

  /**
   * The activation that a fused kernel (matmul or convolution, + bias, + activation) can apply for this block: on a
   * backend that does its products in BLAS, with a bias (not batch norm), for ReLU or linear, whose backward reads
   * the output alone; else `undefined` (separate ops).
   */
  fusedActivation(activation: string): "relu" | "linear" | undefined {
    if (this.bias === undefined || !blasBacked()) return undefined;
    return activation === "relu" || activation === "linear" ? activation : undefined;
  }

  /**
   * After the product `z`: batch norm (in `mode`) or the bias. With `relu`, batch norm may apply ReLU in the same
   * kernel (native): `activated` then says that `z` is ReLU's output, and `backward` takes dL/d(that output).
   */
  finish(z: tf.Tensor, mode: ForwardMode, relu = false): { z: tf.Tensor; bn?: BatchNormCache; activated?: boolean } {
    if (!this.batchNorm) return { z: tf.add(z, this.bias!) };
    const normalized = this.batchNorm.forward(z, mode, relu);
    return { z: normalized.output, bn: normalized.cache, activated: normalized.activated };
  }

  /** From dL/d(finished z): dL/d(product) and the gradients of gamma and beta, or of the bias (`biasSum(dz)`). */
  backward(dz: tf.Tensor, bn: BatchNormCache | undefined, biasSum: (t: tf.Tensor) => tf.Tensor) {
    if (!this.batchNorm) return { dz, tail: [biasSum(dz)] };
    const g = this.batchNorm.backward(bn!, dz);
    return { dz: g.dz, tail: [g.dGamma, g.dBeta] };
  }

  /** Frees the variables. */
  dispose(): void {
    this.kernel.dispose();
    this.bias?.dispose();
    this.batchNorm?.dispose();
  }
}
