/**
 * `evaluate`: loss and accuracy of a network on a split, in evaluation mode, without changing anything.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { batchTensors } from "../datasets/batch_tensors.ts";
import { batches, type Split } from "../datasets/dataset.ts";
import type { Network } from "../network/network.ts";

/** What `evaluate` measured. */
export interface Evaluation {
  /** Mean loss over the split. */
  loss: number;
  /** Fraction of examples classified right, in [0, 1]. */
  accuracy: number;
  /** Number of examples. */
  count: number;
}

/** Moved to `datasets/batch_tensors.ts`, re-exported here for the imports that name this module. */
export { batchTensors };

/**
 * Evaluates `network` on `split`.
 *
 * @param network The network.
 * @param split The examples (e.g. `dataset.test`).
 * @param batchSize Examples per forward pass. @default {1000}
 * @returns Mean loss and accuracy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetwork, evaluate, syntheticDataset } from "../mod.ts";
 *
 * const data = syntheticDataset({ features: 8, classes: 3, testCount: 90 });
 * const net = buildNetwork({ input: [8], layers: [{ type: "dense", units: 3 }] });
 * const { loss, accuracy, count } = evaluate(net, data.test);
 * assert.equal(count, 90);
 * assert.ok(Number.isFinite(loss) && accuracy >= 0 && accuracy <= 1);
 * net.dispose();
 * ```
 */
export function evaluate(network: Network, split: Split, batchSize = 1000): Evaluation {
  if (typeof batchSize !== "number" || !Number.isInteger(batchSize) || batchSize < 1) {
    throw new TypeError(
      `evaluate() takes batchSize, an integer >= 1, as its third argument, got ${
        typeof batchSize === "object" ? "an object (it takes no options object)" : String(batchSize)
      }`,
    );
  }
  const features = network.inputUnits;
  const classes = network.outputUnits;
  if (split.x.length !== split.count * features) {
    throw new RangeError(
      `Cannot evaluate: the network takes ${features} inputs per example, the split has ${
        split.x.length / Math.max(split.count, 1)
      }`,
    );
  }
  let lossSum = 0;
  let correct = 0;
  for (const batch of batches(split, features, batchSize, null)) {
    const { x, labels } = batchTensors(batch, features, classes);
    const [loss, right] = tf.tidy(() => {
      const output = network.forward(x);
      const { loss } = network.loss.compute(output, labels);
      const right = tf.sum(tf.cast(tf.equal(tf.argMax(output, 1), tf.argMax(labels, 1)), "int32"));
      return [loss, right];
    });
    lossSum += loss.dataSync()[0]! * batch.size;
    correct += right.dataSync()[0]!;
    tf.dispose([x, labels, loss, right]);
  }
  return { loss: lossSum / split.count, accuracy: correct / split.count, count: split.count };
}
