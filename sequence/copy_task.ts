/**
 * The Copy and Repeat Copy tasks (Graves et al. 2014, "Neural Turing Machines"), as used for the recurrent
 * experiments of Jaderberg et al. 2016 ("Decoupled Neural Interfaces using Synthetic Gradients", section 3.1).
 *
 * Layout of one sequence of `length` N (channels from 0):
 * - Copy: N input steps carry random bits on channels `0..bits-1`; one delimiter step has channel `bits` set;
 *   then N output steps with zero input, whose targets are the pattern. Time `2N + 1`; the mask is 1 on the N
 *   output steps only. Inputs `bits + 1` wide, targets `bits` wide.
 * - Repeat Copy: N pattern steps; one delimiter step with channel `bits` set and channel `bits + 1` holding
 *   `repeats / maxRepeats`; then N·R output steps (the pattern R times) and one end step whose target is only the
 *   end marker (target channel `bits`). Time `N·R + N + 2`; the mask is 1 on the N·R + 1 output steps. Inputs
 *   `bits + 2` wide, targets `bits + 1` wide.
 *
 * @module
 */
import type { Random } from "../random.ts";
import type { SequenceBatch } from "./batch.ts";

/** Which task, and its widths. */
export interface CopyTaskOptions {
  /** Repeat Copy instead of Copy. @default false */
  repeat?: boolean;
  /** Bits per pattern vector. @default 8 */
  bits?: number;
}

/** Options of {@linkcode copyBatch}. */
export interface CopyBatchOptions extends CopyTaskOptions {
  /** Repeat Copy only: how many times to repeat the pattern; drawn uniformly from 1..maxRepeats when omitted. */
  repeats?: number;
  /** Repeat Copy only: the largest repeat count, which scales the repeat channel to (0, 1]. @default 10 */
  maxRepeats?: number;
}

/**
 * The input and target widths of a copy task.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { copyTaskShape } from "./copy_task.ts";
 *
 * assert.deepEqual(copyTaskShape(), { features: 9, outputs: 8 });
 * assert.deepEqual(copyTaskShape({ repeat: true }), { features: 10, outputs: 9 });
 * ```
 */
export function copyTaskShape(options: CopyTaskOptions = {}): { features: number; outputs: number } {
  const { repeat = false, bits = 8 } = options;
  positive("bits", bits);
  return repeat ? { features: bits + 2, outputs: bits + 1 } : { features: bits + 1, outputs: bits };
}

/**
 * The steps of one sequence: `2N + 1` for Copy, `N·R + N + 2` for Repeat Copy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { copyTime } from "./copy_task.ts";
 *
 * assert.equal(copyTime(5), 11);
 * assert.equal(copyTime(5, { repeat: true, repeats: 3 }), 22);
 * ```
 */
export function copyTime(length: number, options: { repeat?: boolean; repeats?: number } = {}): number {
  const { repeat = false, repeats = 1 } = options;
  return repeat ? length * repeats + length + 2 : 2 * length + 1;
}

/**
 * The pattern length N and repeat count R of a Repeat Copy curriculum level: both grow in turn, N first, so that
 * `N + R = level + 1` (level 1: N 1, R 1; level 2: N 2, R 1; level 3: N 2, R 2; ...), with R capped at
 * `maxRepeats`. This schedule is this library's choice: the paper says that N and R are made larger, not how.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { repeatCopyLevel } from "./copy_task.ts";
 *
 * assert.deepEqual([1, 2, 3, 4].map((level) => repeatCopyLevel(level)), [
 *   { length: 1, repeats: 1 },
 *   { length: 2, repeats: 1 },
 *   { length: 2, repeats: 2 },
 *   { length: 3, repeats: 2 },
 * ]);
 * assert.deepEqual(repeatCopyLevel(9, 2), { length: 8, repeats: 2 });
 * ```
 */
export function repeatCopyLevel(level: number, maxRepeats = 10): { length: number; repeats: number } {
  positive("level", level);
  positive("maxRepeats", maxRepeats);
  const repeats = Math.min(Math.ceil(level / 2), maxRepeats);
  return { length: level + 1 - repeats, repeats };
}

/**
 * A batch of `size` Copy or Repeat Copy sequences with patterns of `length` random bit vectors, drawn from
 * `random` (each bit 1 with probability 1/2). All sequences of a batch share `length` and the repeat count.
 *
 * @param random The seeded generator the bits (and a drawn repeat count) come from.
 * @param size Sequences in the batch.
 * @param length The pattern length N.
 * @param options The task, `bits`, `repeats`, `maxRepeats`.
 * @returns The batch; see the module doc for the layout.
 * @throws {RangeError} If `size`, `length`, `bits`, `repeats` or `maxRepeats` is not a positive integer, or
 *   `repeats > maxRepeats`.
 *
 * @example Copy: the targets after the delimiter are the pattern
 * ```ts
 * import assert from "node:assert/strict";
 * import { Random } from "../random.ts";
 * import { copyBatch } from "./copy_task.ts";
 *
 * const batch = copyBatch(new Random(1), 2, 3, { bits: 4 });
 * assert.deepEqual([batch.time, batch.features, batch.outputs], [7, 5, 4]);
 * assert.deepEqual(Array.from(batch.mask.subarray(0, 7)), [0, 0, 0, 0, 1, 1, 1]);
 * const inputBits = Array.from(batch.x.subarray(0, 4)); // step 0 of sequence 0
 * const targetBits = Array.from(batch.targets.subarray(4 * 4, 5 * 4)); // step 4
 * assert.deepEqual(targetBits, inputBits);
 * ```
 */
export function copyBatch(random: Random, size: number, length: number, options: CopyBatchOptions = {}): SequenceBatch {
  const { repeat = false, bits = 8, maxRepeats = 10 } = options;
  positive("size", size);
  positive("length", length);
  positive("maxRepeats", maxRepeats);
  const { features, outputs } = copyTaskShape({ repeat, bits });
  const repeats = repeat ? (options.repeats ?? 1 + random.int(maxRepeats)) : 1;
  positive("repeats", repeats);
  if (repeats > maxRepeats) throw new RangeError(`Copy task: repeats ${repeats} is more than maxRepeats ${maxRepeats}`);
  const time = copyTime(length, { repeat, repeats });
  const x = new Float32Array(size * time * features);
  const targets = new Float32Array(size * time * outputs);
  const mask = new Float32Array(size * time);
  for (let s = 0; s < size; s++) {
    const step = (t: number) => s * time + t;
    for (let t = 0; t < length; t++) {
      for (let b = 0; b < bits; b++) {
        const bit = random.next() < 0.5 ? 1 : 0;
        x[step(t) * features + b] = bit;
        for (let r = 0; r < repeats; r++) targets[step(length + 1 + r * length + t) * outputs + b] = bit;
      }
    }
    x[step(length) * features + bits] = 1; // delimiter
    if (repeat) {
      x[step(length) * features + bits + 1] = repeats / maxRepeats;
      targets[step(time - 1) * outputs + bits] = 1; // end marker
    }
    mask.fill(1, step(length + 1), step(time));
  }
  return { x, targets, mask, size, time, features, outputs };
}

function positive(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`Copy task: ${name} must be a positive integer, got ${value}`);
  }
}
