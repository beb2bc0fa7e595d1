/**
 * The options of `train`, and its callbacks.
 *
 * @module
 */
import type { NonFinitePolicy } from "../network/non_finite_guard.ts";
import type { Strategy } from "../execution/strategy.ts";
import type { BatchInfo, CheckpointInfo, EpochRecord } from "./history.ts";
import type { SequenceOptions } from "../recurrent/sequence_feed.ts";
import { optionKeys } from "../_option_keys.ts";

/** Callbacks of `train`. */
export interface TrainCallbacks {
  /** After each batch. */
  onBatchEnd?: (info: BatchInfo) => void;
  /** After each epoch (and its evaluation). */
  onEpochEnd?: (record: EpochRecord) => void;
  /**
   * When a checkpoint is due: after each epoch (after `onEpochEnd`), every `checkpointEvery` steps, and once when
   * `signal` stops the run. The network then holds the whole training state, gathered from any Workers, and where
   * it stands inside an epoch (`network.epochProgress`): `saveCheckpoint(network, dir)` here saves a checkpoint a
   * later `train()` goes on from exactly. Training waits for the promise.
   */
  onCheckpoint?: (at: CheckpointInfo) => unknown;
}

/** Options of `train`. */
export interface TrainOptions {
  /**
   * Passes over the training split in this call: epochs `initialEpoch + 1` to `initialEpoch + epochs` (how many
   * more, not the number of the last one as Keras's `epochs`). @default {1}
   */
  epochs?: number;
  /**
   * A budget of steps (batches) for this call instead of `epochs`: training stops after this many, in epochs of
   * `stepsPerEpoch` (the last one cut short when the budget ends inside it). Left out: `epochs` whole epochs.
   */
  steps?: number;
  /**
   * Batches per epoch (an epoch ends with its evaluation and record). Left out: one pass over the training split;
   * for a sequence task, a pass over seq-mnist, and 100 batches of the generated copy tasks or of a text's streams.
   */
  stepsPerEpoch?: number;
  /** A sequence task's own options: truncation window, text stream length, the copy tasks' curriculum. */
  sequence?: SequenceOptions;
  /**
   * Epochs already trained: the first epoch of this call is numbered `initialEpoch + 1` (in the history, the
   * callbacks and `bestEpoch`) and shuffles as that epoch of an uninterrupted run does (`seed + epoch`). Resuming a
   * loaded checkpoint: `initialEpoch: network.epochs`; when the network stopped inside that epoch
   * (`network.epochProgress`), it is finished from its next batch first, as one of the `epochs`. @default {0}
   */
  initialEpoch?: number;
  /** Examples per step (sequences, for a sequence task). @default {128; 32 for a sequence task} */
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
   * With a validation part (`validationSplit`, or a text's own): stop once the validation accuracy (bits per
   * character for text) has not improved for this many epochs in a row
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
   * Stops the run when aborted (e.g. on Ctrl-C): no batch is started after it; the batches in flight finish, the
   * training state is gathered into the network, `onCheckpoint` is called (`"interrupted"`), and `train()` returns
   * the history of the epochs completed, with `interrupted` saying where it stopped. The next call with
   * `initialEpoch: network.epochs` finishes the interrupted epoch from its next batch.
   */
  signal?: AbortSignal;
  /**
   * Also call `onCheckpoint` every this many steps (batches) inside an epoch (a long epoch, or a step budget). Left
   * out: at each epoch's end only. With Workers each such checkpoint gathers the state from them (a pipeline drains
   * there, which may change how its staleness plays out).
   */
  checkpointEvery?: number;
  /**
   * How the steps run: `oneThread()` (the default), `pipeline({ workers, staleness })` or
   * `dataParallel({ workers })` from `parallel/`, or `workersStrategy(network, { workers })`, which picks one of
   * those two. The history has the same form in every mode (stages only where there are stages).
   * @default {oneThread()}
   */
  strategy?: Strategy;
}

/** The keys of `TrainOptions`, checked at run time (`train()` refuses any other). */
export const TRAIN_OPTION_KEYS: readonly string[] = optionKeys<TrainOptions>()([
  "epochs",
  "steps",
  "stepsPerEpoch",
  "sequence",
  "initialEpoch",
  "batchSize",
  "seed",
  "validate",
  "validationSplit",
  "patience",
  "callbacks",
  "probeSize",
  "onNonFinite",
  "signal",
  "checkpointEvery",
  "strategy",
]);

/** The keys of `TrainCallbacks`. */
export const TRAIN_CALLBACK_KEYS: readonly string[] = optionKeys<TrainCallbacks>()([
  "onBatchEnd",
  "onEpochEnd",
  "onCheckpoint",
]);

/** The keys of `SequenceOptions`. */
export const SEQUENCE_OPTION_KEYS: readonly string[] = optionKeys<SequenceOptions>()([
  "truncation",
  "sequenceLength",
  "threshold",
  "startLength",
]);
