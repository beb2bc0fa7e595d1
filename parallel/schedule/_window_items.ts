// Private: a sequence network in a pipeline, the coordinator's side. Each batch of sequences is cut into its
// truncation windows, one pipeline step each (`windowItems`): rows of sequences x steps, one class per row
// (`NO_TARGET` where the step has no target), and what the stages' recurrent layers need (`WindowMeta`; the stage's
// side: `../stage/_windows.ts`).
import type { SequenceItem } from "../../recurrent/sequence_feed.ts";
import { NO_TARGET, type WindowMeta } from "../protocol.ts";

/** One window of a batch of sequences, as the pipeline feeds it. */
export interface WindowItem {
  /** Rows `b * time + t` of the window's steps. */
  x: Float32Array;
  /** One class per row, `NO_TARGET` where the step has no target. */
  labels: Uint8Array;
  /** Rows. */
  size: number;
  /** The window. */
  window: WindowMeta;
}

// The class of one-hot row `at` of `targets` (`outputs` wide), NO_TARGET when masked; throws unless one-hot.
function classOf(targets: Float32Array, at: number, outputs: number, counted: boolean): number {
  if (!counted) return NO_TARGET;
  let found = -1;
  for (let c = 0; c < outputs; c++) {
    const v = targets[at * outputs + c]!;
    if (v === 1 && found < 0) found = c;
    else if (v !== 0) found = -2;
  }
  if (found < 0 || found >= NO_TARGET) {
    throw new RangeError(
      "A pipeline trains sequence tasks with one class per step (text, seq-mnist): this task's targets are not " +
        "one-hot (the copy tasks' are bit vectors); train it on one thread",
    );
  }
  return found;
}

/** The windows of a batch of sequences, in order. */
export function windowItems(item: SequenceItem): WindowItem[] {
  const { sequences: s, truncation, carryIn, carryOut } = item;
  const { size, time, features, outputs } = s;
  const windows = Math.ceil(time / truncation);
  const sequenceLabels = item.labels
    ? Uint8Array.from({ length: size }, (_, b) => classOf(item.labels!, b, outputs, true))
    : undefined;
  return Array.from({ length: windows }, (_, w) => {
    const t0 = w * truncation, length = Math.min(truncation, time - t0);
    const x = new Float32Array(size * length * features);
    const labels = new Uint8Array(size * length);
    for (let b = 0; b < size; b++) {
      for (let t = 0; t < length; t++) {
        const row = b * length + t, at = b * time + t0 + t;
        x.set(s.x.subarray(at * features, (at + 1) * features), row * features);
        labels[row] = classOf(s.targets, at, outputs, s.mask[at] !== 0);
      }
    }
    return {
      x,
      labels,
      size: size * length,
      window: {
        sequences: size,
        time: length,
        future: w < windows - 1 || carryOut,
        fresh: w === 0 && !carryIn,
        ...(sequenceLabels ? { sequenceLabels } : {}),
      },
    };
  });
}
