/**
 * The data side of `train()`, one per kind of data: where each epoch's batches come from, what each batch's result
 * feeds (a curriculum), what is measured after an epoch (evaluation, diagnostics), and which number early stopping
 * watches. `datasetFeed` serves a `Dataset` of examples, `sequenceFeed` a sequence task; the loop in `train()` is
 * the same for both.
 *
 * @module
 */
import type { BatchOutcome, TrainingBatch } from "../execution/strategy.ts";
import type { InterfaceDiagnostics } from "../network/interface_diagnostics.ts";
import type { EpochRecord } from "./history.ts";

/** The number of an epoch's record that early stopping and `History.bestEpoch` watch. */
export interface Monitor {
  /** The record's field, e.g. `validationAccuracy`. */
  key: "validationAccuracy" | "validationBits";
  /** Whether higher is better. */
  higher: boolean;
}

/** The data side of one `train()` call. */
export interface Feed {
  /** Batches in a whole epoch. */
  readonly perEpoch: number;
  /**
   * `count` batches of epoch `epoch` (numbered as in the history), from its batch `from` (0: its first), made as they
   * are taken.
   */
  batches(epoch: number, count: number, from: number): Iterable<TrainingBatch>;
  /**
   * A pause inside an epoch (a checkpoint there, or an interruption): puts what the feed keeps of the data into the
   * network (a task's stream) and returns its running sums of the epoch (`EpochProgress.feed`).
   */
  pause?(): Record<string, number>;
  /** Goes on inside an epoch from the sums `pause` returned. */
  resume?(sums: Record<string, number>): void;
  /** After each batch, in order. */
  afterBatch?(outcome: BatchOutcome): void;
  /** Completes an epoch's record: evaluation, the interfaces' numbers (`own`, as the strategy gathered them). */
  endEpoch(record: EpochRecord, own: readonly InterfaceDiagnostics[]): void;
  /** What early stopping and `bestEpoch` watch; undefined: no validation part. */
  readonly monitor?: Monitor;
}

/** Whether `record` is better than `best` by `monitor`. */
export function improves(monitor: Monitor, record: EpochRecord, best: EpochRecord | undefined): boolean {
  if (best === undefined) return true;
  const a = record[monitor.key]!, b = best[monitor.key]!;
  return monitor.higher ? a > b : a < b;
}
