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
import { type RowSpread, rowSpreads } from "./seeds.ts";

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
  /** The seed of weights and data order this run trained with. */
  seed?: number;
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
    /** The first seed. */
    seed: number;
    /** Every seed, where each row ran once per seed (`compare --seeds N`). */
    seeds?: number[];
    target: number;
    trainCount: number;
    testCount: number;
    staleness: number;
  };
  /** One per configuration and seed, in the order they ran (all rows of a seed, then the next seed). */
  results: ConfigResult[];
  /** Where rows ran with several seeds: each row's spread over them, and its paired race against backprop. */
  spread?: RowSpread[];
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
  /**
   * Seeds to run every configuration with: all rows with the first, then all with the next, so that a drift of the
   * machine falls on every row alike. @default {[seed]}
   */
  seeds?: number[];
  /** Target test accuracy in (0, 1]. */
  target: number;
  /** Pipeline staleness for rows on several workers. @default {1} */
  staleness?: number;
  /** Where the configurations' interface names are looked up (plugins). @default {defaultRegistries} */
  registries?: Registries;
  /** Datasets by name (already loaded): datasets of examples, or sequence tasks. */
  datasets: Record<string, Dataset | SequenceData>;
  /** Called before each configuration's run (`index` of `total` runs: configurations x seeds). */
  onConfigStart?: (config: CompareConfig, index: number, total: number, seed: number) => void;
  /** Called after each epoch of a configuration. */
  onEpochEnd?: (config: CompareConfig, record: EpochRecord) => void;
  /** Called after each batch of a dni configuration. */
  onBatchEnd?: (info: BatchInfo) => void;
}

/**
 * Trains each configuration in turn (same seed, data order, budget), once per seed, and returns the report.
 *
 * @throws {RangeError} If `seeds` is empty or repeats a seed, or a configuration's dataset was not loaded.
 */
export async function runComparison(configs: CompareConfig[], options: ComparisonOptions): Promise<ComparisonReport> {
  const { epochs = 0, batchSize, target, datasets } = options;
  const seeds = options.seeds ?? [options.seed];
  if (seeds.length === 0 || new Set(seeds).size !== seeds.length) {
    throw new RangeError(`seeds must be distinct and at least one, got [${seeds.join(", ")}]`);
  }
  for (const config of configs) {
    if (!datasets[config.dataset]) {
      throw new RangeError(`No dataset "${config.dataset}" was loaded for configuration ${config.name}`);
    }
  }
  const results: ConfigResult[] = [];
  const runs = seeds.flatMap((seed) => configs.map((config) => ({ seed, config })));
  for (const [index, { seed, config }] of runs.entries()) {
    const dataset = datasets[config.dataset]!;
    options.onConfigStart?.(config, index, runs.length, seed);
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
    results.push({ ...runResult(config, history, target, "task" in dataset ? dataset.task : undefined), seed });
  }
  setSpeedRatios(results);
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
      seed: seeds[0]!,
      ...(seeds.length > 1 ? { seeds } : {}),
      target,
      staleness: options.staleness ?? 1,
      trainCount: splits?.train.count ?? 0,
      testCount: splits?.test.count ?? 0,
    },
    results,
    ...(seeds.length > 1 ? { spread: rowSpreads(results) } : {}),
    note: "All configurations ran one after another in one process on the same machine, with the same seed, data " +
      "order and budget" + (seeds.length > 1 ? `, once with each of ${seeds.length} seeds` : "") +
      "; ratios are between these runs. Training seconds exclude evaluation.",
  };
}

/**
 * Sets each run's `speedVsBackprop`: its samples/s over those of the one-thread backprop run of the same depth,
 * dataset, truncation (a sequence task) and seed; null where there is none.
 */
export function setSpeedRatios(results: ConfigResult[]): void {
  for (const r of results) {
    const base = results.find((b) =>
      b.interface === "backprop" && b.workers === 1 && b.depth === r.depth && b.dataset === r.dataset &&
      b.truncation === r.truncation && b.seed === r.seed
    );
    r.speedVsBackprop = base ? r.samplesPerSecond / base.samplesPerSecond : null;
  }
}

/**
 * What one run of a configuration measured, from its history: seconds per epoch, samples/s, time and epochs to
 * `target`, the last epoch's test numbers and diagnostics, a sequence task's measures (`speedVsBackprop` is left
 * null: it needs the backprop row of the same seed).
 */
export function runResult(
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
