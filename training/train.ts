/**
 * `train`: the one epoch loop. Epochs of seeded, shuffled mini-batches go through a strategy (one thread by
 * default; a pipeline or data-parallel Workers from `parallel/`), with a per-epoch history. The loop owns
 * metering, callbacks, evaluation, diagnostics, the history and the errors, in every mode alike.
 *
 * @module
 */
import type { Dataset } from "../datasets/dataset.ts";
import type { Network } from "../network/network.ts";
import { nonFinitePolicy } from "../network/non_finite_guard.ts";
import { oneThread } from "../execution/one_thread.ts";
import { checkOptions } from "./_checks.ts";
import { HistoryRecorder } from "./epoch_meter.ts";
import { type EpochContext, runEpoch } from "./epoch_run.ts";
import type { EpochRecord, History } from "./history.ts";
import { datasetFeed } from "./dataset_feed.ts";
import { type Feed, improves } from "./feed.ts";
import { sequenceFeed } from "../recurrent/sequence_epochs.ts";
import type { SequenceData } from "../recurrent/sequence_data.ts";
import type { TrainOptions } from "./options.ts";

export type { BatchInfo, CheckpointInfo, EpochRecord, History, InterfaceDiagnostics } from "./history.ts";
export type { TrainCallbacks, TrainOptions } from "./options.ts";

/**
 * Trains `network` on `dataset.train`, with the steps run by `options.strategy` (one thread by default). The
 * network ends with the trained weights, step count and `epochs` (the number of the last epoch completed) in every
 * mode.
 *
 * @returns The history: per-epoch loss, accuracy, test accuracy, seconds and samples/s (a Promise in every mode).
 * @throws {RangeError} If the options are out of range or the dataset does not fit the network.
 * @throws {TypeError} If `options` (or its `callbacks`, `sequence`) has a key `train` does not know, naming it and the
 *   nearest known one.
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
 * @example Stop on a signal (Ctrl-C, a deadline), saving where the run stopped; resume from the checkpoint
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetwork, loadCheckpoint, saveCheckpoint, syntheticDataset, train } from "../mod.ts";
 *
 * const data = syntheticDataset({ features: 8, classes: 3, trainCount: 128, testCount: 32 });
 * const net = buildNetwork({
 *   input: [8],
 *   layers: [{ type: "dense", units: 8, activation: "relu", interface: "sg" }, { type: "dense", units: 3 }],
 * });
 * const dir = `${await Deno.makeTempDir()}/ckpt`;
 * const stop = new AbortController(); // a script would call stop.abort() from Deno.addSignalListener("SIGINT", ...)
 * const history = await train(net, data, {
 *   epochs: 3,
 *   batchSize: 32,
 *   signal: stop.signal,
 *   callbacks: {
 *     onBatchEnd: (b) => b.epoch === 2 && b.batch === 1 && stop.abort(),
 *     onCheckpoint: () => saveCheckpoint(net, dir), // after each epoch, and where the signal stopped it
 *   },
 * });
 * assert.deepEqual(history.interrupted, { epoch: 2, batch: 1 });
 * const resumed = await loadCheckpoint(dir); // epochs 1, and 1 batch of epoch 2 (resumed.epochProgress)
 * const rest = await train(resumed, data, { epochs: 2, batchSize: 32, initialEpoch: resumed.epochs });
 * assert.deepEqual(rest.epochs.map((e) => e.epoch), [2, 3]); // epoch 2 from its second batch, then epoch 3
 * net.dispose();
 * resumed.dispose();
 * await Deno.remove(dir, { recursive: true });
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
export async function train(
  network: Network,
  data: Dataset | SequenceData,
  options: TrainOptions = {},
): Promise<History> {
  const { initialEpoch = 0, callbacks = {} } = options;
  checkOptions(options);
  const onNonFinite = nonFinitePolicy(options.onNonFinite ?? "error");
  const feed = feedOf(network, data, options);
  if (options.patience !== undefined && feed.monitor === undefined) {
    throw new RangeError("patience (early stopping) needs a validationSplit to watch");
  }
  const perEpoch = feed.perEpoch;
  const budget = options.steps;
  const epochs = options.epochs ?? 1;
  // A network stopped inside the epoch after `initialEpoch` finishes it first, from its next batch.
  const resumed = initialEpoch === network.epochs ? network.epochProgress : undefined;
  if (resumed !== undefined) {
    const batchSize = options.batchSize ?? (network.kind === "sequence" ? 32 : 128);
    const before = resumed.meter.samples === undefined ? batchSize : resumed.meter.samples / resumed.batch;
    if (before !== batchSize) {
      throw new RangeError(
        `The network stopped inside epoch ${initialEpoch + 1} after ${resumed.batch} batches of ${before}: finish ` +
          `that epoch with batchSize ${before}, not ${batchSize} (or start the next epoch: initialEpoch ` +
          `${initialEpoch + 1} shuffles afresh)`,
      );
    }
    if (resumed.batch >= perEpoch) {
      throw new RangeError(
        `The network stopped after batch ${resumed.batch} of epoch ${initialEpoch + 1}, which has ${perEpoch} ` +
          `batches here: train it with the batch size and data it was trained with`,
      );
    }
    feed.resume?.(resumed.feed ?? {});
  }
  let best: EpochRecord | undefined;
  let interrupted: History["interrupted"];
  const strategy = options.strategy ?? oneThread();
  const history = new HistoryRecorder(callbacks.onEpochEnd);
  const policy = network.onNonFinite;
  network.onNonFinite = onNonFinite;
  const context: EpochContext = {
    network,
    feed,
    strategy,
    callbacks,
    skipNonFinite: onNonFinite === "skip",
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.checkpointEvery ? { every: options.checkpointEvery } : {}),
    done: { batches: 0 },
  };
  try {
    await strategy.start(network, { onNonFinite });
    for (let epoch = initialEpoch + 1;; epoch++) {
      const from = epoch === initialEpoch + 1 ? resumed?.batch ?? 0 : 0;
      const left = budget === undefined
        ? (epoch <= initialEpoch + epochs ? perEpoch - from : 0)
        : budget - context.done.batches;
      if (left <= 0) break;
      const count = Math.min(perEpoch - from, left);
      const run = await runEpoch({ epoch, from, count, ...(from > 0 ? { resumed } : {}) }, context);
      if (run.stoppedAt !== undefined) {
        interrupted = { epoch, batch: run.stoppedAt };
        await callbacks.onCheckpoint?.({ reason: "interrupted", ...interrupted });
        break;
      }
      const { meter, outcome } = run;
      const record = meter.record();
      if (outcome.stages) record.stages = outcome.stages;
      if (onNonFinite === "skip") record.skippedUpdates = outcome.skippedUpdates;
      feed.endEpoch(record, outcome.diagnostics);
      history.add(record, meter.samples);
      network.epochs = epoch;
      network.epochProgress = undefined;
      await callbacks.onCheckpoint?.({ reason: "epoch", epoch, batch: meter.batches });
      if (feed.monitor && options.patience !== undefined) {
        if (improves(feed.monitor, record, best)) best = record;
        else if (epoch - best!.epoch >= options.patience) break;
      }
    }
  } finally {
    await strategy.stop();
    network.onNonFinite = policy;
  }
  const result = history.finish();
  if (interrupted !== undefined) result.interrupted = interrupted;
  const monitor = feed.monitor;
  if (monitor && result.epochs.length > 0) {
    result.bestEpoch = result.epochs.reduce((b, r) => improves(monitor, r, b) ? r : b).epoch;
  }
  return result;
}

// The data side for this network and data: examples, or a sequence task.
function feedOf(network: Network, data: Dataset | SequenceData, options: TrainOptions): Feed {
  const sequences = "task" in data;
  if (sequences !== (network.kind === "sequence")) {
    throw new RangeError(
      sequences
        ? `${data.task} is a sequence task: it trains a sequence network (input [features] per step, an lstm first)`
        : `Dataset "${data.name}" holds examples, not sequences: a sequence network trains on a sequence task ` +
          `(copy, repeat-copy, seq-mnist, text)`,
    );
  }
  return sequences ? sequenceFeed(network, data, options) : datasetFeed(network, data, options);
}
