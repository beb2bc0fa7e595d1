/**
 * `train`: epochs of seeded, shuffled mini-batches through `Network.trainStep`, with a per-epoch history.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { batches, checkSplit, type Dataset } from "../datasets/dataset.ts";
import { DivergenceError } from "../errors.ts";
import type { Network } from "../network/network.ts";
import { type NonFinitePolicy, nonFinitePolicy } from "../network/non_finite_guard.ts";
import { batchTensors } from "./evaluate.ts";
import { epochEnd } from "./epoch_end.ts";
import { EpochMeter, HistoryRecorder } from "./epoch_meter.ts";
import type { MemoryRecord } from "./memory.ts";
import { type PipelineOptions, type StageRecord, trainPipeline } from "../parallel/pipeline.ts";
import { trainDataParallel } from "../parallel/data_parallel.ts";

/** One epoch of the history. */
export interface EpochRecord {
  /** Epoch number, from 1. */
  epoch: number;
  /** Mean training loss over the epoch's batches (each measured before its update). */
  loss: number;
  /** Training accuracy over the epoch's batches (before each update). */
  accuracy: number;
  /** Test loss after the epoch (when `validate`). */
  testLoss?: number;
  /** Test accuracy after the epoch, in [0, 1] (when `validate`). */
  testAccuracy?: number;
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
  /** In pipeline mode: each stage's layers, estimated cost, busy and waiting seconds, and staleness reached. */
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
}

/** Progress of one batch, for `onBatchEnd`. */
export interface BatchInfo {
  /** Epoch number, from 1. */
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
  /** Passes over the training split. @default {1} */
  epochs?: number;
  /** Examples per step. @default {128} */
  batchSize?: number;
  /** Seed of the data order (epoch e uses seed + e). @default {0} */
  seed?: number;
  /** Evaluate on the test split after each epoch. @default {true} */
  validate?: boolean;
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
}

/**
 * Trains `network` on `dataset.train`.
 *
 * @returns The history: per-epoch loss, accuracy, test accuracy, seconds and samples/s.
 * @throws {RangeError} If the options are out of range or the dataset does not fit the network.
 * @throws {RangeError} If a split's labels are out of range or its inputs are not finite.
 * @throws {DivergenceError} If a loss, gradient or synthetic gradient becomes NaN or infinite (unless
 *   `onNonFinite` is `"skip"`).
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
 * const history = train(net, data, { epochs: 2, batchSize: 32, seed: 1 });
 * assert.equal(history.epochs.length, 2);
 * assert.ok(history.epochs[1]!.loss < history.epochs[0]!.loss, "the training loss falls");
 * net.dispose();
 * ```
 */
export function train(network: Network, dataset: Dataset, options?: TrainOptions & { workers?: 1 }): History;
/**
 * With `workers` > 1: a network with `sg`/`csg` interfaces trains asynchronously in a pipeline of Workers
 * (`parallel/pipeline.ts`); a backprop-only network trains data-parallel (`parallel/data_parallel.ts`).
 */
export function train(network: Network, dataset: Dataset, options: PipelineOptions): Promise<History>;
export function train(
  network: Network,
  dataset: Dataset,
  options: TrainOptions | PipelineOptions = {},
): History | Promise<History> {
  checkOptions(options);
  if ("workers" in options && options.workers !== undefined && options.workers > 1) {
    checkFit(network, dataset);
    const decoupled = network.interfaces.some((i) => typeof i.synthesize === "function");
    return decoupled ? trainPipeline(network, dataset, options) : trainDataParallel(network, dataset, options);
  }
  return trainOneThread(network, dataset, options);
}

function checkFit(network: Network, dataset: Dataset): void {
  if (dataset.features !== network.inputUnits) {
    throw new RangeError(
      `Dataset "${dataset.name}" has ${dataset.features} features per example, the network takes ${network.inputUnits}`,
    );
  }
  if (dataset.classes !== network.outputUnits) {
    throw new RangeError(
      `Dataset "${dataset.name}" has ${dataset.classes} classes, the network's output layer has ${network.outputUnits} units`,
    );
  }
  checkSplit(`${dataset.name}.train`, dataset.train, dataset.features, dataset.classes);
  checkSplit(`${dataset.name}.test`, dataset.test, dataset.features, dataset.classes);
}

// The options every mode shares, checked before anything starts.
function checkOptions(options: TrainOptions & { workers?: number }): void {
  const { epochs = 1, batchSize = 128, seed = 0, probeSize = 256, workers = 1 } = options;
  const integer = (name: string, value: number, min: number) => {
    if (!Number.isInteger(value) || value < min) {
      throw new RangeError(`${name} must be an integer${min > -Infinity ? ` >= ${min}` : ""}, got ${value}`);
    }
  };
  integer("epochs", epochs, 1);
  integer("batchSize", batchSize, 1);
  integer("seed", seed, -Infinity);
  integer("probeSize", probeSize, 0);
  integer("workers", workers, 1);
  nonFinitePolicy(options.onNonFinite ?? "error");
}

function trainOneThread(network: Network, dataset: Dataset, options: TrainOptions): History {
  const { epochs = 1, batchSize = 128, seed = 0, validate = true, callbacks = {}, probeSize = 256 } = options;
  const onNonFinite = nonFinitePolicy(options.onNonFinite ?? "error");
  checkFit(network, dataset);
  const { features, classes } = dataset;
  const perEpoch = Math.ceil(dataset.train.count / batchSize);
  const history = new HistoryRecorder(callbacks.onEpochEnd);
  const policy = network.onNonFinite;
  network.onNonFinite = onNonFinite;
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const meter = new EpochMeter(epoch, perEpoch, onNonFinite === "skip");
      const skipped = network.skippedUpdates;
      for (const b of batches(dataset.train, features, batchSize, seed + epoch)) {
        const { x, labels } = batchTensors(b, features, classes);
        let info: BatchInfo;
        try {
          const step = network.trainStep(x, labels);
          info = meter.add(step.loss, step.correct, b.size);
        } catch (error) {
          throw error instanceof DivergenceError && error.epoch === undefined
            ? error.at(epoch, meter.batches + 1)
            : error;
        } finally {
          tf.dispose([x, labels]);
        }
        callbacks.onBatchEnd?.(info);
      }
      const record = meter.record();
      if (onNonFinite === "skip") record.skippedUpdates = network.skippedUpdates - skipped;
      epochEnd(network, dataset, record, validate, probeSize);
      history.add(record);
    }
  } finally {
    network.onNonFinite = policy;
  }
  return history.finish(dataset.train.count);
}
