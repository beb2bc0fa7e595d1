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
import { nonFinitePolicy } from "../network/non_finite_guard.ts";
import { oneThread } from "../execution/one_thread.ts";
import { epochEnd } from "./epoch_end.ts";
import { checkFit, checkOptions } from "./_checks.ts";
import { evaluate } from "./evaluate.ts";
import { EpochMeter, HistoryRecorder } from "./epoch_meter.ts";
import type { History } from "./history.ts";
import type { TrainOptions } from "./options.ts";

export type { BatchInfo, EpochRecord, History, InterfaceDiagnostics } from "./history.ts";
export type { TrainCallbacks, TrainOptions } from "./options.ts";

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
