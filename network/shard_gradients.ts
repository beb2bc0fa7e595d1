/**
 * The gradients of a batch without an update, for data-parallel training: several replicas compute them on shards
 * of a batch, the average is applied with `Network.applyGradients`.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { LayerCache } from "../layers/layer.ts";
import { checkBatch } from "./_checks.ts";
import type { Network } from "./network.ts";
import { backprop } from "./backprop.ts";

/** What `shardGradients` gives (tensors owned by the caller's `tf.tidy`). */
export interface ShardGradients {
  /** The batch-mean loss. */
  loss: tf.Scalar;
  /** How many examples were classified right. */
  correct: tf.Scalar;
  /** Per layer, the gradients of its trainable variables (in `Layer.trainable` order). */
  gradients: tf.Tensor[][];
}

/**
 * The gradients of every layer's trainable variables for a batch, without updating anything but batch-norm running
 * statistics. Backprop only (interfaces are not consulted). Call it inside `tf.tidy`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetwork, tf } from "../mod.ts";
 * import { shardGradients } from "./shard_gradients.ts";
 *
 * const net = buildNetwork({ input: [3], layers: [{ type: "dense", units: 2 }] });
 * tf.tidy(() => {
 *   const r = shardGradients(net, tf.ones([4, 3]) as tf.Tensor2D, tf.oneHot([0, 1, 0, 1], 2).toFloat() as tf.Tensor2D);
 *   assert.deepEqual(r.gradients[0]!.map((g) => g.shape), [[3, 2], [2]]);
 * });
 * net.dispose();
 * ```
 */
export function shardGradients(network: Network, x: tf.Tensor, labels: tf.Tensor2D): ShardGradients {
  checkBatch(x, labels, network.inputShape, network.outputUnits);
  const caches: LayerCache[] = [];
  let h = network.shapeInput(x);
  for (const layer of network.layers) {
    const r = layer.forward(h, "train");
    caches.push(r.cache);
    h = r.output;
  }
  const { loss, gradient } = network.loss.compute(h as tf.Tensor2D, labels);
  const gradients: tf.Tensor[][] = [];
  backprop(network.layers, caches, 0, network.layers.length - 1, gradient, {
    took: (j, step) => void (gradients[j] = step.gradients),
  });
  const correct = tf.sum(tf.cast(tf.equal(tf.argMax(h, 1), tf.argMax(labels, 1)), "int32")) as tf.Scalar;
  return { loss, correct, gradients };
}
