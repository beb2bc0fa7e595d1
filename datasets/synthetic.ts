/**
 * Small synthetic classification datasets, for fast tests and examples.
 *
 * @module
 */
import { Random } from "../random.ts";
import type { Dataset, Split } from "./dataset.ts";

/** Options of `syntheticDataset`. */
export interface SyntheticOptions {
  /** Width of one example. @default {20} */
  features?: number;
  /** Number of classes. @default {4} */
  classes?: number;
  /** Training examples. @default {512} */
  trainCount?: number;
  /** Test examples. @default {256} */
  testCount?: number;
  /** Distance between class centres relative to the noise. @default {3} */
  separation?: number;
  /** Seed. @default {0} */
  seed?: number;
}

/**
 * Gaussian blobs: each class is a random centre plus unit noise. Learnable, not trivially: a network gets well
 * above chance within a few epochs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { syntheticDataset } from "../mod.ts";
 *
 * const data = syntheticDataset({ features: 8, classes: 3, trainCount: 60, testCount: 30 });
 * assert.equal(data.train.x.length, 60 * 8);
 * assert.equal(data.test.count, 30);
 * assert.ok(data.train.labels.every((label) => label < 3));
 * ```
 */
export function syntheticDataset(options: SyntheticOptions = {}): Dataset {
  const { features = 20, classes = 4, trainCount = 512, testCount = 256, separation = 3, seed = 0 } = options;
  const random = new Random(seed);
  const centres = Array.from(
    { length: classes },
    () => Float32Array.from({ length: features }, () => random.normal() * separation / Math.sqrt(features) * 2),
  );
  const split = (count: number): Split => {
    const x = new Float32Array(count * features);
    const labels = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const c = random.int(classes);
      labels[i] = c;
      for (let j = 0; j < features; j++) x[i * features + j] = centres[c]![j]! + random.normal();
    }
    return { x, labels, count };
  };
  return { name: "synthetic", features, classes, train: split(trainCount), test: split(testCount) };
}
