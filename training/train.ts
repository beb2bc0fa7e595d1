/**
 * `train`: the one epoch loop. Epochs of seeded, shuffled mini-batches go through a strategy (one thread by
 * default; a pipeline or data-parallel Workers from `parallel/`), with a per-epoch history. The loop owns
 * metering, callbacks, evaluation, diagnostics, the history and the errors, in every mode alike.
 *
 * @module
 */
import { batches, type Dataset, type Split } from "../datasets/dataset.ts";
import { holdOutValidation } from "../datasets/validation.ts";
import { DivergenceError } from "../errors.ts";
import type { Network } from "../network/network.ts";
import { type NonFinitePolicy, nonFinitePolicy } from "../network/non_finite_guard.ts";
import { oneThread } from "../execution/one_thread.ts";
import type { StageRecord, Strategy } from "../execution/strategy.ts";
import { epochEnd } from "./epoch_end.ts";
import { checkFit, checkOptions } from "./_checks.ts";
import { evaluate } from "./evaluate.ts";
import { EpochMeter, HistoryRecorder } from "./epoch_meter.ts";
import type { MemoryRecord } from "./memory.ts";

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

/** One interface's diagnostics for one epoch. */
export interface InterfaceDiagnostics {
  /** Index of the bound layer. */
  layer: number;
  /** Interface type. */
  type: string;
  /** Cosine similarity of synthetic and true gradient on the probe batch. */
  cosine?: number;
  /** ||synthetic|| / ||true|| on the probe batch. */
  normRatio?: number;
  /** Cosine similarity of the bound layer's kernel gradient under the synthetic and the true gradient. */
  weightCosine?: number;
  /** Further numbers the interface reports, e.g. `synthesizerLoss`. */
  [name: string]: number | string | undefined;
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

/**
 * Trains `network` on `dataset.train`, with the steps run by `options.strategy` (one thread by default). The
 * network ends with the trained weights, step count and `epochs` (the number of the last epoch completed) in every
 * mode.
 *
 * @returns The history: per-epoch loss, accuracy, test accuracy, seconds and samples/s (a Promise in every mode).
 * @throws {RangeError} If the options are out of range or the dataset does not fit the network.
 * @throws {RangeError} If a split's labels are out of range or its inputs are not finite.
 * @throws {DivergenceError} If a loss, gradient or synthetic gradient becomes NaN or infinite (unless
 *   `onNonFinite` is `"skip"`), naming the epoch and batch, in every mode.
 *
 * @example Train a small network on synthetic data
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetwork, syntheticDataset, train } from "../mod.ts";
 *
 * const data = syntheticDataset({ features: 8, classes: 3 });
 * const net = buildNetwork({
 *   input: [8],
 *   layers: [{ type: "dense", units: 16, activation: "relu" }, { type: "dense", units: 3 }],
 * });
 * const history = await train(net, data, { epochs: 2, batchSize: 32, seed: 1 });
 * assert.equal(history.epochs.length, 2);
 * assert.ok(history.epochs[1]!.loss < history.epochs[0]!.loss, "the training loss falls");
 * net.dispose();
 * ```
 *
 * @example Train on: two more epochs, numbered 2 and 3, shuffled as epochs 2 and 3 of one run of 3
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetwork, syntheticDataset, train } from "../mod.ts";
 *
 * const data = syntheticDataset({ features: 8, classes: 3, trainCount: 64, testCount: 16 });
 * const net = buildNetwork({ input: [8], layers: [{ type: "dense", units: 3 }] });
 * await train(net, data, { epochs: 1, batchSize: 32, seed: 7 });
 * const more = await train(net, data, { epochs: 2, batchSize: 32, seed: 7, initialEpoch: net.epochs });
 * assert.deepEqual(more.epochs.map((e) => e.epoch), [2, 3]);
 * assert.equal(net.epochs, 3);
 * net.dispose();
 * ```
 *
 * @example The same network in a pipeline of two Workers, cut at its decoupling interface
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetwork, pipeline, syntheticDataset, train } from "../mod.ts";
 *
 * const data = syntheticDataset({ features: 8, classes: 3, trainCount: 128, testCount: 32 });
 * const net = buildNetwork({
 *   input: [8],
 *   layers: [{ type: "dense", units: 16, activation: "relu", interface: "sg" }, { type: "dense", units: 3 }],
 * });
 * const history = await train(net, data, { epochs: 1, batchSize: 32, strategy: pipeline({ workers: 2 }) });
 * assert.equal(history.epochs[0]!.stages!.length, 2);
 * net.dispose();
 * ```
 */
export async function train(network: Network, data: Dataset, options: TrainOptions = {}): Promise<History> {
  let dataset = data;
  const { epochs = 1, initialEpoch = 0, batchSize = 128, seed = 0, validate = true, callbacks = {}, probeSize = 256 } =
    options;
  checkOptions(options);
  const onNonFinite = nonFinitePolicy(options.onNonFinite ?? "error");
  checkFit(network, dataset);
  let validation: Split | undefined;
  if (options.validationSplit !== undefined) {
    const parts = holdOutValidation(dataset.train, dataset.features, options.validationSplit);
    dataset = { ...dataset, train: parts.train };
    validation = parts.validation;
  }
  let best: { epoch: number; accuracy: number } | undefined;
  const strategy = options.strategy ?? oneThread();
  const perEpoch = Math.ceil(dataset.train.count / batchSize);
  const history = new HistoryRecorder(callbacks.onEpochEnd);
  const policy = network.onNonFinite;
  network.onNonFinite = onNonFinite;
  try {
    await strategy.start(network, { onNonFinite });
    for (let epoch = initialEpoch + 1; epoch <= initialEpoch + epochs; epoch++) {
      const meter = new EpochMeter(epoch, perEpoch, onNonFinite === "skip");
      const firstStep = network.steps;
      const source = batches(dataset.train, dataset.features, batchSize, seed + epoch);
      let outcome;
      try {
        outcome = await strategy.epoch(source, (b) => {
          const info = meter.add(b.loss, b.correct, b.size);
          callbacks.onBatchEnd?.(info);
        });
      } catch (error) {
        // The network and the Workers know the step; the loop knows the epoch and which batch that step was.
        if (!(error instanceof DivergenceError) || error.epoch !== undefined) throw error;
        const step = error.site.step;
        throw error.at(epoch, step === undefined ? meter.batches + 1 : step - firstStep + 1);
      }
      const record = meter.record();
      if (outcome.stages) record.stages = outcome.stages;
      if (onNonFinite === "skip") record.skippedUpdates = outcome.skippedUpdates;
      if (validation) {
        const v = evaluate(network, validation);
        record.validationLoss = v.loss;
        record.validationAccuracy = v.accuracy;
      }
      epochEnd(network, dataset, record, validate, probeSize, outcome.diagnostics);
      history.add(record);
      network.epochs = epoch;
      if (validation && options.patience !== undefined) {
        if (best === undefined || record.validationAccuracy! > best.accuracy) {
          best = { epoch, accuracy: record.validationAccuracy! };
        } else if (epoch - best.epoch >= options.patience) break;
      }
    }
  } finally {
    await strategy.stop();
    network.onNonFinite = policy;
  }
  const result = history.finish(dataset.train.count);
  if (validation) {
    const best = result.epochs.reduce((b, r) => r.validationAccuracy! > b.validationAccuracy! ? r : b);
    result.bestEpoch = best.epoch;
  }
  return result;
}
