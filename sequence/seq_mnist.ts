/**
 * Sequential MNIST read row by row: each 28×28 image is a sequence of 28 steps of 28 pixels, and the class is
 * predicted at the last step only.
 *
 * @module
 */
import { batches, type Split } from "../datasets/dataset.ts";
import type { SequenceBatch } from "./batch.ts";

/** Steps per sequence (image rows). */
export const SEQ_MNIST_TIME = 28;
/** Inputs per step (pixels of a row). */
export const SEQ_MNIST_FEATURES = 28;
/** Classes, one-hot at the last step. */
export const SEQ_MNIST_OUTPUTS = 10;

/**
 * Yields a split's images as row-by-row sequence batches, in the order `batches` of `datasets/dataset.ts` gives
 * for the same `seed` (shuffled by `seed`, in order when `seed` is null). The last batch may be smaller. Targets
 * are one-hot at the last step only, where the mask is 1; elsewhere targets and mask are 0.
 *
 * @param split Images row-major [count, 784], labels in [0, 10).
 * @param batchSize Sequences per batch.
 * @param seed The shuffle seed, or null for the split's order.
 * @throws {RangeError} If `split.x` does not hold `count` images of 784 pixels, a label is not in [0, 10), or
 *   `batchSize` is not a positive integer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seqMnistBatches } from "./seq_mnist.ts";
 *
 * const split = { x: new Float32Array(3 * 784).fill(0.5), labels: Uint8Array.of(7, 1, 2), count: 3 };
 * const [first] = seqMnistBatches(split, 2, 0);
 * assert.deepEqual([first!.size, first!.time, first!.features, first!.outputs], [2, 28, 28, 10]);
 * assert.equal(first!.mask.reduce((a, b) => a + b), 2);
 * ```
 */
export function* seqMnistBatches(split: Split, batchSize: number, seed: number | null): Generator<SequenceBatch> {
  const pixels = SEQ_MNIST_TIME * SEQ_MNIST_FEATURES;
  if (split.x.length !== split.count * pixels) {
    throw new RangeError(
      `Sequential MNIST: ${split.count} images need ${split.count * pixels} pixels, got ${split.x.length}`,
    );
  }
  for (let i = 0; i < split.count; i++) {
    const label = split.labels[i];
    if (label === undefined || label >= SEQ_MNIST_OUTPUTS) {
      throw new RangeError(`Sequential MNIST: label ${label} of image ${i} is out of range [0, ${SEQ_MNIST_OUTPUTS})`);
    }
  }
  for (const batch of batches(split, pixels, batchSize, seed)) {
    const { size } = batch;
    const time = SEQ_MNIST_TIME, outputs = SEQ_MNIST_OUTPUTS;
    const targets = new Float32Array(size * time * outputs);
    const mask = new Float32Array(size * time);
    for (let s = 0; s < size; s++) {
      const last = s * time + time - 1;
      targets[last * outputs + batch.labels[s]!] = 1;
      mask[last] = 1;
    }
    // [size, 784] row-major is already [size, 28 rows, 28 pixels] row-major.
    yield { x: batch.x, targets, mask, size, time, features: SEQ_MNIST_FEATURES, outputs };
  }
}

/**
 * Yields a split's images in order, as row-by-row sequence batches, for evaluation: `seqMnistBatches(split,
 * batchSize, null)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seqMnistEvaluation } from "./seq_mnist.ts";
 *
 * const split = { x: new Float32Array(5 * 784), labels: Uint8Array.of(0, 1, 2, 3, 4), count: 5 };
 * assert.deepEqual([...seqMnistEvaluation(split, 2)].map((b) => b.size), [2, 2, 1]);
 * ```
 */
export function seqMnistEvaluation(split: Split, batchSize: number): Generator<SequenceBatch> {
  return seqMnistBatches(split, batchSize, null);
}
