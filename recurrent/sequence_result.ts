/**
 * `sequenceResult`: the numbers a sequence task is judged by, read from the last epoch of a `History`: the longest
 * pattern solved (copy tasks, with the repeat count of repeat copy), the validation bits per character (text), the
 * test accuracy (seq-mnist), and the last cosine of a synthetic gradient on a recurrent state to the true one.
 *
 * @module
 */
import { repeatCopyLevel } from "../sequence/copy_task.ts";
import type { History } from "../training/history.ts";
import type { SequenceData } from "./sequence_data.ts";

/** What a sequence run ended with. */
export interface SequenceResult {
  /** Copy tasks: the longest pattern length solved. */
  maxSequenceLength?: number;
  /** Repeat copy: the pattern length and repeat count of `maxSequenceLength`'s level. */
  pattern?: { length: number; repeats: number };
  /** Text: validation bits per character. */
  bitsPerChar?: number;
  /** Seq-mnist: test accuracy. */
  testAccuracy?: number;
  /** The last probe's cosine of the synthetic gradient on a recurrent state to the true one. */
  syntheticGradientCosine?: number;
}

/**
 * The numbers of the last epoch of `history` that judge `task`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sequenceResult } from "./sequence_result.ts";
 * const epoch = { epoch: 1, loss: 1, accuracy: 0, seconds: 1, samplesPerSecond: 1, evalSeconds: 0, maxSequenceLength: 3 };
 * assert.deepEqual(sequenceResult("copy", { epochs: [epoch], seconds: 1, samplesPerSecond: 1 }), { maxSequenceLength: 3 });
 * ```
 */
export function sequenceResult(task: SequenceData["task"], history: History): SequenceResult {
  const last = history.epochs[history.epochs.length - 1];
  if (last === undefined) return {};
  const cosine = last.interfaces?.find((d) => d.on === "state" && d.cosine !== undefined)?.cosine;
  const result: SequenceResult = {};
  if (last.maxSequenceLength !== undefined) {
    result.maxSequenceLength = last.maxSequenceLength;
    if (task === "repeat-copy" && last.maxSequenceLength > 0) result.pattern = repeatCopyLevel(last.maxSequenceLength);
  }
  if (task === "text" && last.validationBits !== undefined) result.bitsPerChar = last.validationBits;
  if (task === "seq-mnist" && last.testAccuracy !== undefined) result.testAccuracy = last.testAccuracy;
  if (cosine !== undefined) result.syntheticGradientCosine = cosine;
  return result;
}
