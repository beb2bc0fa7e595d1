/**
 * What `train` gives back: the `History` of a run, one `EpochRecord` per epoch (with each interface's
 * `InterfaceDiagnostics`), and the `BatchInfo` of each batch for `onBatchEnd`.
 *
 * @module
 */
import type { StageRecord } from "../execution/strategy.ts";
import type { InterfaceDiagnostics } from "../network/interface_diagnostics.ts";
import type { MemoryRecord } from "./memory.ts";

export type { InterfaceDiagnostics };

/** One epoch of the history. */
export interface EpochRecord {
  /** Epoch number: from `initialEpoch + 1` (from 1 unless the run resumes an earlier one). */
  epoch: number;
  /** Mean training loss over the epoch's batches (each measured before its update). */
  loss: number;
  /** Training accuracy over the epoch's batches (before each update). */
  accuracy: number;
  /** Test loss after the epoch (when `validate`). */
  testLoss?: number;
  /** Test accuracy after the epoch, in [0, 1] (when `validate`). */
  testAccuracy?: number;
  /** Loss on the validation split held out of the training set (with `validationSplit`). */
  validationLoss?: number;
  /** Accuracy on the validation split (with `validationSplit`): what `History.bestEpoch` is chosen by. */
  validationAccuracy?: number;
  /**
   * Validation cross-entropy in bits per counted step (a text's bits per character): what `History.bestEpoch` is
   * chosen by for text.
   */
  validationBits?: number;
  /** Sequences: the training error over the epoch, in bits per counted step (before each update). */
  errorBits?: number;
  /** Copy tasks: the curriculum's level (pattern length) after the epoch. */
  level?: number;
  /** Copy tasks: the longest pattern length solved so far. */
  maxSequenceLength?: number;
  /** Wall-clock seconds of training in this epoch (evaluation excluded). */
  seconds: number;
  /** Training examples per second in this epoch. */
  samplesPerSecond: number;
  /** Seconds spent evaluating after the epoch. */
  evalSeconds: number;
  /**
   * Diagnostics of each interface that synthesises gradients: its own numbers (e.g. `synthesizerLoss`, the mean
   * over the epoch) and, measured on the probe batch after the epoch, `cosine` and `normRatio` against the true
   * gradient.
   */
  interfaces?: InterfaceDiagnostics[];
  /**
   * With a strategy that runs stages (a pipeline): each stage's layers, estimated cost, busy and waiting seconds,
   * and staleness reached.
   */
  stages?: StageRecord[];
  /**
   * With `onNonFinite: "skip"`: the layer updates of this epoch left out because a loss, gradient or synthetic
   * gradient was NaN or infinite.
   */
  skippedUpdates?: number;
  /** Memory after the epoch and its evaluation: live tensors, their bytes, the process's resident set. */
  memory?: MemoryRecord;
}

/** The result of `train`. */
export interface History {
  /** One record per epoch. */
  epochs: EpochRecord[];
  /** Seconds of training, all epochs (evaluation excluded). */
  seconds: number;
  /** Training examples per second over all epochs. */
  samplesPerSecond: number;
  /**
   * With `validationSplit`: the epoch with the highest validation accuracy (the first of equals), chosen on the
   * validation split only, never on the test split.
   */
  bestEpoch?: number;
  /**
   * Set when `signal` stopped the run: the epoch it stopped in and the batches of it trained (0: it stopped at that
   * epoch's start). The network's `epochs` and `epochProgress` say the same, for the next `train()` call.
   */
  interrupted?: { epoch: number; batch: number };
}

/** Where a checkpoint is due (`TrainCallbacks.onCheckpoint`): the network holds the whole training state then. */
export interface CheckpointInfo {
  /**
   * `"epoch"`: an epoch ended (evaluated, recorded); `"steps"`: `checkpointEvery` steps inside an epoch;
   * `"interrupted"`: `signal` stopped the run, after the last batch that completed.
   */
  reason: "epoch" | "steps" | "interrupted";
  /** The epoch: the one that ended, or the one in progress. */
  epoch: number;
  /** Batches of it trained (all of them for `"epoch"`). */
  batch: number;
}

/** Progress of one batch, for `onBatchEnd`. */
export interface BatchInfo {
  /** Epoch number, from `initialEpoch + 1`. */
  epoch: number;
  /** Batch number within the epoch, from 1. */
  batch: number;
  /** Batches per epoch. */
  batches: number;
  /** The batch's loss. */
  loss: number;
  /** Seconds since the epoch began. */
  seconds: number;
  /** Examples seen in this epoch. */
  samples: number;
}
