/**
 * One training step of a network on a random batch, for benchmarks: a feed-forward network's `trainStep` on inputs
 * of its input shape with one-hot labels, or a sequence network's `trainSequenceBatch` on random sequences with
 * one-hot targets at every step (and one-hot labels, the context of a conditioned state interface).
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Network } from "../network/network.ts";
import { trainSequenceBatch } from "../recurrent/tbptt.ts";

/** The shape of a sequence batch: steps per sequence and per truncation window. */
export interface SequenceShape {
  sequenceLength: number;
  truncation: number;
}

/** A step to time, and the tensors it holds. */
export interface RandomStep {
  run(): void;
  dispose(): void;
}

const oneHot = (shape: number[], classes: number, seed: number) =>
  tf.oneHot(tf.randomUniform(shape, 0, classes, "int32", seed), classes).toFloat();

/**
 * A training step of `net` on one random batch of `batchSize` examples (sequences), made on the active backend.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetwork, tf } from "../mod.ts";
 * import { randomStep } from "./_step.ts";
 *
 * const net = buildNetwork({ input: [6], layers: [{ type: "dense", units: 8, interface: "sg" }, { type: "dense", units: 3 }] });
 * const step = randomStep(net, 16, { sequenceLength: 4, truncation: 2 });
 * step.run();
 * const before = tf.memory().numTensors;
 * step.run();
 * assert.equal(tf.memory().numTensors, before);
 * step.dispose();
 * net.dispose();
 * ```
 */
export function randomStep(net: Network, batchSize: number, sequence: SequenceShape): RandomStep {
  const classes = net.outputUnits;
  if (net.kind === "sequence") {
    const { sequenceLength: time, truncation } = sequence;
    const batch = tf.tidy(() => ({
      x: tf.randomUniform([batchSize, time, net.inputUnits], 0, 1, "float32", 1) as tf.Tensor3D,
      targets: oneHot([batchSize, time], classes, 2) as tf.Tensor3D,
      mask: tf.ones([batchSize, time]) as tf.Tensor2D,
      labels: oneHot([batchSize], classes, 3) as tf.Tensor2D,
    }));
    return {
      run: () => void trainSequenceBatch(net, batch, { truncation }),
      dispose: () => tf.dispose(batch),
    };
  }
  const x = tf.randomUniform([batchSize, ...net.inputShape], 0, 1, "float32", 1);
  const labels = oneHot([batchSize], classes, 2) as tf.Tensor2D;
  return { run: () => void net.trainStep(x, labels), dispose: () => tf.dispose([x, labels]) };
}
