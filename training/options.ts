/**
 * The options of `train`, and its callbacks.
 *
 * @module
 */
import type { NonFinitePolicy } from "../network/non_finite_guard.ts";
import type { Strategy } from "../execution/strategy.ts";
import type { BatchInfo, EpochRecord } from "./history.ts";

/** Callbacks of `train`. */
export interface TrainCallbacks {
  /** After each batch. */
  onBatchEnd?: (info: BatchInfo) => void;
  /** After each epoch (and its evaluation). */
  onEpochEnd?: (record: EpochRecord) => void;
}

/** Options of `train`. */
export interface TrainOptions {
  /**
   * Passes over the training split in this call: epochs `initialEpoch + 1` to `initialEpoch + epochs` (how many
   * more, not the number of the last one as Keras's `epochs`). @default {1}
   */
  epochs?: number;
  /**
   * Epochs already trained: the first epoch of this call is numbered `initialEpoch + 1` (in the history, the
   * callbacks and `bestEpoch`) and shuffles as that epoch of an uninterrupted run does (`seed + epoch`). Resuming a
   * loaded checkpoint: `initialEpoch: network.epochs`. @default {0}
   */
  initialEpoch?: number;
  /** Examples per step. @default {128} */
  batchSize?: number;
  /** Seed of the data order (epoch e, numbered from `initialEpoch + 1`, shuffles with seed + e). @default {0} */
  seed?: number;
  /** Evaluate on the test split after each epoch. @default {true} */
  validate?: boolean;
  /**
   * Hold this fraction of the training split out (its last examples, as Keras's `validation_split`), train on the
   * rest, evaluate on it after each epoch (`validationLoss`, `validationAccuracy`) and pick `History.bestEpoch` by
   * it. Left out: no validation split.
   */
  validationSplit?: number;
  /**
   * With `validationSplit`: stop once the validation accuracy has not improved for this many epochs in a row
   * (early stopping; the history then has fewer epochs than `epochs`), counted within this call. Left out: train
   * every epoch.
   */
  patience?: number;
  /** Progress callbacks. */
  callbacks?: TrainCallbacks;
  /**
   * Size of the probe batch (the first examples of the training split) on which synthetic gradients are
   * compared with true ones after each epoch; 0 turns it off. Measuring changes nothing. @default {256}
   */
  probeSize?: number;
  /**
   * On a NaN or infinite loss, gradient or synthetic gradient: `"error"` stops with a `DivergenceError` naming it,
   * the layer or interface, the epoch, batch and step; `"skip"` leaves out the updates that would use it and
   * counts them in each epoch's `skippedUpdates` (batches whose loss is not finite are left out of the epoch's
   * loss and accuracy). @default {"error"}
   */
  onNonFinite?: NonFinitePolicy;
  /**
   * How the steps run: `oneThread()` (the default), `pipeline({ workers, staleness })` or
   * `dataParallel({ workers })` from `parallel/`, or `workersStrategy(network, { workers })`, which picks one of
   * those two. The history has the same form in every mode (stages only where there are stages).
   * @default {oneThread()}
   */
  strategy?: Strategy;
}
