// Private: the global path of a convolutional synthesizer. A convolution sees only a neighbourhood of the trigger,
// but the gradient at every position of a conv layer depends on the whole example (through the logits) and on its
// label. So the prediction gets, added to the convolution's, a low-rank map of the whole trigger and the labels:
// up(down(flatten(h)) + labels(y)), with `up` zero at first (the first prediction stays zero) and `down`/`labels`
// random (so that `up` has something to learn from).
import { tf } from "../deps.ts";
import { Dense } from "../layers/dense.ts";
import { type ForwardMode, type Shape, sizeOf } from "../layers/layer.ts";
import type { Random } from "../random.ts";

/** What `forward` keeps: the three dense layers' caches. */
export interface GlobalPathCache {
  down: unknown;
  labels?: unknown;
  up: unknown;
}

/** up(down(flatten(h)) + labels(y)): the trigger's and the labels' global part of a synthetic gradient. */
export class GlobalPath {
  /** flatten(h) -> rank. */
  readonly down: Dense;
  /** labels -> rank, for a conditioned synthesizer. */
  readonly labels?: Dense;
  /** rank -> H * W * C, zero at first. */
  readonly up: Dense;
  readonly #shape: Shape;

  constructor(shape: Shape, rank: number, contextUnits: number, path: string, random: Random) {
    const size = sizeOf(shape);
    const made: Dense[] = [];
    const dense = (units: number, inputs: number, at: string) => {
      const layer = new Dense({ type: "dense", units }, {
        inputShape: [inputs],
        path: `${path}.${at}`,
        random: random.fork(),
      });
      made.push(layer);
      return layer;
    };
    try {
      this.down = dense(rank, size, "down");
      if (contextUnits > 0) this.labels = dense(rank, contextUnits, "labels");
      this.up = dense(size, rank, "up");
    } catch (error) {
      for (const layer of made) layer.dispose();
      throw error;
    }
    tf.tidy(() => {
      this.up.kernel.assign(tf.zerosLike(this.up.kernel));
      this.up.bias!.assign(tf.zerosLike(this.up.bias!));
    });
    this.#shape = [...shape];
  }

  /** The dense layers, in the order of their variables and gradients: down, labels (if any), up. */
  get layers(): Dense[] {
    return this.labels ? [this.down, this.labels, this.up] : [this.down, this.up];
  }

  /** The global part of the prediction for `trigger` `[B, ...shape]` (and `labels`, when conditioned). */
  forward(
    trigger: tf.Tensor,
    labels: tf.Tensor2D | undefined,
    mode: ForwardMode,
  ): { output: tf.Tensor; cache: GlobalPathCache } {
    const batch = trigger.shape[0]!;
    const down = this.down.forward(tf.reshape(trigger, [batch, this.down.inputUnits]), mode);
    let z = down.output;
    let labelsCache: unknown;
    if (this.labels) {
      // A copy of the labels: the pass is kept (and disposed) beyond the caller's tf.tidy.
      const r = this.labels.forward(tf.clone(labels!), mode);
      labelsCache = r.cache;
      z = tf.add(z, r.output);
    }
    const up = this.up.forward(z, mode);
    return {
      output: tf.reshape(up.output, [batch, ...this.#shape]),
      cache: { down: down.cache, labels: labelsCache, up: up.cache },
    };
  }

  /** The gradients of `layers`' variables, in order, from dL/d(prediction) `g`. */
  backward(cache: GlobalPathCache, g: tf.Tensor): tf.Tensor[][] {
    const batch = g.shape[0]!;
    // A copy, not a view of g: tfjs-wasm caches its matMul operator by the right operand's data, so the same data
    // as a right operand in two shapes ([B, H*W*C] here, [B*H*W, C] in the conv's bias gradient) corrupts memory.
    const flat = tf.reshape(tf.mul(g, 1), [batch, this.up.units]);
    const up = this.up.backward(cache.up, flat, true);
    const dz = up.inputGradient!;
    const down = this.down.backward(cache.down, dz, false).gradients;
    if (!this.labels) return [down, up.gradients];
    return [down, this.labels.backward(cache.labels, dz, false).gradients, up.gradients];
  }

  /** Frees the weights. */
  dispose(): void {
    for (const layer of this.layers) layer.dispose();
  }
}
