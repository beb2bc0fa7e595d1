/**
 * The in-memory dataset type and seeded batching.
 *
 * @module
 */
import { Random } from "../random.ts";

/** One split of a dataset: `count` examples of `features` floats each, with integer class labels. */
export interface Split {
  /** Examples, row-major [count, features]. */
  readonly x: Float32Array;
  /** Class labels in [0, classes). */
  readonly labels: Uint8Array;
  /** Number of examples. */
  readonly count: number;
}

/** A classification dataset with a training and a test split. */
export interface Dataset {
  /** A short name, e.g. `"mnist"`. */
  readonly name: string;
  /** Width of one flattened example. */
  readonly features: number;
  /** Number of classes. */
  readonly classes: number;
  /** Training split. */
  readonly train: Split;
  /** Test split. */
  readonly test: Split;
}

/** A batch: inputs [size, features] and labels, as plain arrays (tensors are made by the trainer). */
export interface Batch {
  /** Inputs, row-major [size, features]. */
  x: Float32Array;
  /** Class labels. */
  labels: Uint8Array;
  /** Number of examples. */
  size: number;
}

/**
 * Checks a split's sizes, labels and inputs.
 *
 * @throws {RangeError} If the arrays do not fit `count` and `features`, a label is out of [0, classes), or an
 *   input is NaN or infinite.
 *
 * @example
 * ```ts
 * import { checkSplit } from "./dataset.ts";
 * const split = { x: new Float32Array(4), labels: Uint8Array.from([0, 3]), count: 2 };
 * try {
 *   checkSplit("toy.train", split, 2, 3);
 * } catch (e) {
 *   console.assert((e as Error).message.includes("label 3 of example 1 is out of range [0, 3)"));
 * }
 * ```
 */
export function checkSplit(name: string, split: Split, features: number, classes: number): void {
  if (split.x.length !== split.count * features || split.labels.length !== split.count) {
    throw new RangeError(
      `Split ${name}: ${split.count} examples need ${split.count * features} inputs and ${split.count} labels, ` +
        `got ${split.x.length} and ${split.labels.length}`,
    );
  }
  for (let i = 0; i < split.count; i++) {
    const label = split.labels[i]!;
    if (!(Number.isInteger(label) && label >= 0 && label < classes)) {
      throw new RangeError(`Split ${name}: label ${label} of example ${i} is out of range [0, ${classes})`);
    }
  }
  const x = split.x;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!)) {
      throw new RangeError(
        `Split ${name}: input ${i % features} of example ${Math.floor(i / features)} is ${x[i]}, not a finite number`,
      );
    }
  }
}

/**
 * Yields the split's examples in batches, in an order shuffled by `seed` (or in order when `seed` is null),
 * from batch `from` of that order (0: the first; a run resumed inside an epoch). The last batch may be smaller.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { batches } from "../mod.ts";
 *
 * const split = { x: new Float32Array(10 * 2), labels: new Uint8Array(10), count: 10 };
 * const sizes = [...batches(split, 2, 4, 7)].map((b) => b.size);
 * assert.deepEqual(sizes, [4, 4, 2]);
 * ```
 */
export function* batches(
  split: Split,
  features: number,
  batchSize: number,
  seed: number | null,
  from = 0,
): Generator<Batch> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`Batch size must be a positive integer, got ${batchSize}`);
  }
  const order = Uint32Array.from({ length: split.count }, (_, i) => i);
  if (seed !== null) new Random(seed).shuffle(order);
  for (let start = from * batchSize; start < split.count; start += batchSize) {
    const size = Math.min(batchSize, split.count - start);
    const x = new Float32Array(size * features);
    const labels = new Uint8Array(size);
    for (let k = 0; k < size; k++) {
      const i = order[start + k]!;
      x.set(split.x.subarray(i * features, (i + 1) * features), k * features);
      labels[k] = split.labels[i]!;
    }
    yield { x, labels, size };
  }
}
