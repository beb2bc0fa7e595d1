/**
 * `backprop`: the one backward walk through a range of layers, from the gradient at the output of the range's top
 * layer down to its bottom layer: each layer's hand-written backward pass, with hooks for what lies between two
 * layers (an interface), for a layer that computes its backward pass its own way, and for what is done with each
 * layer's gradients. It serves the training step (`Network.trainRange`, whose hooks apply the interfaces, the
 * divergence guard and the optimizers), data-parallel shards (`shardGradients`: the gradients, kept) and the
 * gradient probe (`truePass`: the true gradient at every hidden layer); a sequence network's windows are training
 * steps too.
 *
 * @module
 */
import type { tf } from "../deps.ts";
import type { Layer, LayerCache } from "../layers/layer.ts";

/** One layer's part of a backward walk. */
export interface LayerStep {
  /** The gradients of the layer's trainable variables. */
  gradients: tf.Tensor[];
  /** The gradient it passes down, dL/d(its input), when asked. */
  passed: tf.Tensor | undefined;
  /** When the layer made its message in parts (see `BackwardLowest`): the parts (`passed` is the first). */
  parts?: tf.Tensor[];
}

/** What `backprop` asks of its caller. */
export interface BackpropHooks {
  /** What reaches layer `j` (below the range's top) from the layer above: `g` through what lies between. @default {g} */
  through?: (j: number, g: tf.Tensor) => tf.Tensor;
  /** Whether layer `j` passes a gradient down. @default {j > lo} */
  needInput?: (j: number) => boolean;
  /** Layer `j`'s backward pass its caller's way; undefined: the layer's own. */
  backward?: (j: number, g: tf.Tensor, needInput: boolean) => LayerStep | undefined;
  /** Layer `j`'s step is done: return false to stop the walk there. */
  took: (j: number, step: LayerStep) => boolean | void;
}

/**
 * Backpropagates `gradient`, at the output of layer `hi`, down through layers `hi..lo` (`caches[j]`: layer j's
 * forward cache). Call inside `tf.tidy`.
 *
 * @returns Whether the walk reached layer `lo` (`took` did not stop it), and the gradient layer `lo` passed down.
 *
 * @example The gradients of a two-layer stack, kept by the caller
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetwork, tf } from "../mod.ts";
 * import { backprop } from "./backprop.ts";
 *
 * const net = buildNetwork({ input: [3], layers: [{ type: "dense", units: 4 }, { type: "dense", units: 2 }] });
 * tf.tidy(() => {
 *   const x = tf.ones([5, 3]);
 *   const first = net.layers[0]!.forward(x, "train"), second = net.layers[1]!.forward(first.output, "train");
 *   const seen: number[] = [];
 *   const r = backprop(net.layers, [first.cache, second.cache], 0, 1, tf.onesLike(second.output), {
 *     took: (j, step) => void seen.push(j, step.gradients.length),
 *   });
 *   assert.deepEqual(seen, [1, 2, 0, 2]);
 *   assert.equal(r.passed, undefined); // layer 0 is the bottom: nothing below needs a gradient
 * });
 * net.dispose();
 * ```
 */
export function backprop(
  layers: readonly Layer[],
  caches: readonly LayerCache[],
  lo: number,
  hi: number,
  gradient: tf.Tensor,
  hooks: BackpropHooks,
): { completed: boolean; passed: tf.Tensor | undefined } {
  let g: tf.Tensor | undefined = gradient;
  for (let j = hi; j >= lo; j--) {
    if (j < hi && hooks.through) g = hooks.through(j, g!);
    const needInput = hooks.needInput ? hooks.needInput(j) : j > lo;
    let step: LayerStep | undefined = hooks.backward?.(j, g!, needInput);
    if (step === undefined) {
      const r = layers[j]!.backward(caches[j], g!, needInput);
      step = { gradients: r.gradients, passed: r.inputGradient };
    }
    if (hooks.took(j, step) === false) return { completed: false, passed: undefined };
    g = step.passed;
  }
  return { completed: true, passed: g };
}
