/**
 * Which data flags of `train` apply to `evaluate` of a checkpoint, and why the others do not. `evaluate` measures
 * what the run measured: a feed-forward checkpoint on the test split; a sequence checkpoint on its own task (as
 * `refuseFlags` says for `train`), seq-mnist on its test split and on the validation split its run held out (the
 * last fraction of the first `--train-count` training images), a text on its validation part (the last
 * `--validation-split` of the text, which the checkpoint does not record). A flag that would change nothing, or
 * measure images the network was trained on, is refused with the reason: a UsageError naming it.
 *
 * @module
 */
import type { SequenceStream } from "../recurrent/sequence_feed.ts";
import { UsageError } from "./args.ts";
import { refuseFlags } from "./sequence_train.ts";

// The flags `evaluate` refuses for a checkpoint (its sequence stream, or none for a feed-forward one), and why.
function refusals(stream: SequenceStream | undefined): Record<string, string> {
  if (stream === undefined) {
    const testOnly = "evaluate measures a feed-forward checkpoint on the test split only (--test-count N limits it)";
    return { "train-count": testOnly, "validation-split": testOnly };
  }
  if (stream.task !== "seq-mnist") return {};
  const split = stream.options.validationSplit;
  return {
    "validation-split": split === undefined
      ? "its run held out no validation split: the images it would hold out are ones the network was trained on"
      : `the checkpoint records its run's validation split (${split}), which evaluate measures; another would ` +
        "hold out images the network was trained on",
    ...(split === undefined
      ? {
        "train-count": "its run held out no validation split (--validation-split), so evaluate reads only the test " +
          "split (--test-count N limits it)",
      }
      : {}),
  };
}

/**
 * Refuses every data flag in `values` that does not apply to evaluating the checkpoint `dir` (a sequence
 * checkpoint's `stream`, or undefined for a feed-forward one): a UsageError naming the first and why.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { refuseEvaluateFlags } from "./evaluate_flags.ts";
 *
 * refuseEvaluateFlags("ckpt", undefined, { "test-count": "100" }); // the test split: applies
 * assert.throws(
 *   () => refuseEvaluateFlags("ckpt", undefined, { "train-count": "100" }),
 *   /^UsageError: --train-count does not apply to evaluate --load ckpt: evaluate measures a feed-forward/,
 * );
 * ```
 */
export function refuseEvaluateFlags(
  dir: string,
  stream: SequenceStream | undefined,
  values: Record<string, unknown>,
): void {
  if (stream !== undefined) refuseFlags(stream.task, values); // what train refuses for the task
  for (const [flag, why] of Object.entries(refusals(stream))) {
    if (values[flag] !== undefined) {
      throw new UsageError(
        `--${flag} does not apply to evaluate --load ${dir}${stream ? ` (a ${stream.task} checkpoint)` : ""}: ${why}`,
      );
    }
  }
}
