/**
 * `runComparison`: trains every configuration in one process, with the same seed, data order and budget, and
 * gathers the measurements of the report: seconds per epoch, samples/s, time and epochs to a target test
 * accuracy, final test accuracy and loss, SG diagnostics, and speed ratios against backprop.
 *
 * @module
 */
import type { Dataset } from "../datasets/dataset.ts";
import type { SequenceData } from "../recurrent/sequence_data.ts";
import type { SequenceOptions } from "../recurrent/sequence_feed.ts";
import { type SequenceResult, sequenceResult } from "../recurrent/sequence_result.ts";
import type { History } from "../training/history.ts";
import { buildNetwork } from "../network/build.ts";
import type { Registries } from "../network/registries.ts";
import { workersStrategy } from "../parallel/workers.ts";
import type { BatchInfo, EpochRecord, InterfaceDiagnostics } from "../training/history.ts";
import { train } from "../training/train.ts";
import type { CompareConfig } from "./configs.ts";
import { type MachineInfo, machineInfo } from "./machine.ts";
import { fitLayersPeer } from "./tfjs_peer.ts";

/** What one configuration measured. */
export interface ConfigResult {
  name: string;
  interface: string;
  depth: number;
  dataset: string;
  /** Workers it ran on. */
  workers: number;
  /** Per-epoch records (training seconds exclude evaluation). */
  epochs: EpochRecord[];
  /** Mean training seconds per epoch. */
  secondsPerEpoch: number;
  /** Training samples per second over the run. */
  samplesPerSecond: number;
  /** Samples/s of this row divided by the one-thread backprop row of the same depth and dataset (same process). */
  speedVsBackprop: number | null;
  /** Training seconds until the end of the first epoch whose test accuracy reached the target; null if none. */
  secondsToTarget: number | null;
  /** That epoch's number; null if the target was not reached. */
  epochsToTarget: number | null;
  /** Test accuracy and loss after the last epoch (NaN where the task has no test split: copy tasks, text). */
  testAccuracy: number;
  testLoss: number;
  /** A sequence task's row: its truncation window (`"full"`: full BPTT). */
  truncation?: number | "full";
  /** A sequence task's row: the numbers it is judged by (max length solved, bits per character, test accuracy). */
  sequence?: SequenceResult;
  /** The SG diagnostics of the last epoch (empty for backprop and the TF.js peer). */
  diagnostics: InterfaceDiagnostics[];
}

/** The whole report. */
export interface ComparisonReport {
  createdAt: string;
  machine: MachineInfo;
  options: {
    /** Epochs per row (0 with a budget of steps). */
    epochs: number;
    /** A sequence comparison's budget of steps (batches) per row. */
    steps?: number;
    batchSize: number;
    seed: number;
    target: number;
    trainCount: number;
    testCount: number;
    staleness: number;
  };
  results: ConfigResult[];
  /** How ratios were measured. */
  note: string;
}

/** Options of `runComparison`. */
export interface ComparisonOptions {
  /** Epochs per row (a dataset of examples). */
  epochs?: number;
  /** A budget of steps (batches) per row instead of epochs (a sequence task). */
  steps?: number;
  /** Batches per epoch (see `TrainOptions.stepsPerEpoch`). */
  stepsPerEpoch?: number;
  /** A sequence task's options but the truncation (each row's own). */
  sequence?: Omit<SequenceOptions, "truncation">;
  batchSize: number;
  seed: number;
  /** Target test accuracy in (0, 1]. */
  target: number;
  /** Pipeline staleness for rows on several workers. @default {1} */
  staleness?: number;
  /** Where the configurations' interface names are looked up (plugins). @default {defaultRegistries} */
  registries?: Registries;
  /** Datasets by name (already loaded): datasets of examples, or sequence tasks. */
  datasets: Record<string, Dataset | SequenceData>;
  /** Called before each configuration. */
  onConfigStart?: (config: CompareConfig, index: number, total: number) => void;
  /** Called after each epoch of a configuration. */
  onEpochEnd?: (config: CompareConfig, record: EpochRecord) => void;
  /** Called after each batch of a dni configuration. */
  onBatchEnd?: (info: BatchInfo) => void;
}

/** Trains each configuration in turn (same seed, data order, budget) and returns the report. */
export async function runComparison(configs: CompareConfig[], options: ComparisonOptions): Promise<ComparisonReport> {
  const { epochs = 0, batchSize, seed, target, datasets } = options;
  const results: ConfigResult[] = [];
  for (const [index, config] of configs.entries()) {
    const dataset = datasets[config.dataset];
    if (!dataset) throw new RangeError(`No dataset "${config.dataset}" was loaded for configuration ${config.name}`);
    options.onConfigStart?.(config, index, configs.length);
    const onEpochEnd = (r: EpochRecord) => options.onEpochEnd?.(config, r);
    let history: History;
    if (config.spec === null) {
      if ("task" in dataset) throw new RangeError(`The TF.js peer (${config.name}) trains datasets of examples only`);
      const records = await fitLayersPeer(dataset, { epochs, batchSize, seed, depth: config.depth, onEpochEnd });
      const seconds = records.reduce((s, e) => s + e.seconds, 0);
      history = { epochs: records, seconds, samplesPerSecond: (dataset.train.count * records.length) / seconds };
    } else {
      const network = buildNetwork(config.spec, { seed, registries: options.registries });
      try {
        history = await train(network, dataset, {
          ...(options.steps === undefined ? { epochs } : { steps: options.steps }),
          ...(options.stepsPerEpoch === undefined ? {} : { stepsPerEpoch: options.stepsPerEpoch }),
          ...("task" in dataset
            ? {
              sequence: {
                ...options.sequence,
                ...(config.truncation === undefined ? {} : { truncation: config.truncation }),
              },
            }
            : {}),
          batchSize,
          seed,
          strategy: workersStrategy(network, { workers: config.workers, staleness: options.staleness ?? 1 }),
          callbacks: { onEpochEnd, onBatchEnd: options.onBatchEnd },
        });
      } finally {
        network.dispose();
      }
    }
    results.push(summarize(config, history, target, "task" in dataset ? dataset.task : undefined));
  }
  for (const r of results) {
    // Against the one-thread backprop row of the same depth and dataset (and truncation, on a sequence task).
    const base = results.find((b) =>
      b.interface === "backprop" && b.workers === 1 && b.depth === r.depth && b.dataset === r.dataset &&
      b.truncation === r.truncation
    );
    r.speedVsBackprop = base ? r.samplesPerSecond / base.samplesPerSecond : null;
  }
  const first = Object.values(datasets)[0];
  const splits = first === undefined
    ? undefined
    : "task" in first
    ? first.task === "seq-mnist" ? first : undefined
    : first;
  return {
    createdAt: new Date().toISOString(),
    machine: machineInfo(),
    options: {
      epochs,
      ...(options.steps === undefined ? {} : { steps: options.steps }),
      batchSize,
      seed,
      target,
      staleness: options.staleness ?? 1,
      trainCount: splits?.train.count ?? 0,
      testCount: splits?.test.count ?? 0,
    },
    results,
    note: "All configurations ran one after another in one process on the same machine, with the same seed, data " +
      "order and budget; ratios are between these runs. Training seconds exclude evaluation.",
  };
}

function summarize(
  config: CompareConfig,
  history: History,
  target: number,
  task: SequenceData["task"] | undefined,
): ConfigResult {
  const epochs = history.epochs;
  const seconds = epochs.reduce((s, e) => s + e.seconds, 0);
  let elapsed = 0, secondsToTarget: number | null = null, epochsToTarget: number | null = null;
  for (const e of epochs) {
    elapsed += e.seconds;
    if (secondsToTarget === null && (e.testAccuracy ?? 0) >= target) {
      secondsToTarget = elapsed;
      epochsToTarget = e.epoch;
    }
  }
  const last = epochs[epochs.length - 1]!;
  return {
    name: config.name,
    interface: config.interface,
    depth: config.depth,
    dataset: config.dataset,
    workers: config.workers,
    epochs,
    secondsPerEpoch: seconds / epochs.length,
    samplesPerSecond: history.samplesPerSecond,
    speedVsBackprop: null,
    secondsToTarget,
    epochsToTarget,
    testAccuracy: last.testAccuracy ?? NaN,
    testLoss: last.testLoss ?? NaN,
    diagnostics: last.interfaces ?? [],
    ...(task === undefined ? {} : { truncation: config.truncation ?? "full", sequence: sequenceResult(task, history) }),
  };
}
