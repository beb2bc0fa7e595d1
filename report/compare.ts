/**
 * `runComparison`: trains every configuration in one process, with the same seed, data order and budget, and
 * gathers the measurements of the report: seconds per epoch, samples/s, time and epochs to a target test
 * accuracy, final test accuracy and loss, SG diagnostics, and speed ratios against backprop.
 *
 * @module
 */
import type { Dataset } from "../datasets/dataset.ts";
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
  /** Test accuracy and loss after the last epoch. */
  testAccuracy: number;
  testLoss: number;
  /** The SG diagnostics of the last epoch (empty for backprop and the TF.js peer). */
  diagnostics: InterfaceDiagnostics[];
}

/** The whole report. */
export interface ComparisonReport {
  createdAt: string;
  machine: MachineInfo;
  options: {
    epochs: number;
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
  epochs: number;
  batchSize: number;
  seed: number;
  /** Target test accuracy in (0, 1]. */
  target: number;
  /** Pipeline staleness for rows on several workers. @default {1} */
  staleness?: number;
  /** Where the configurations' interface names are looked up (plugins). @default {defaultRegistries} */
  registries?: Registries;
  /** Datasets by name (already loaded). */
  datasets: Record<string, Dataset>;
  /** Called before each configuration. */
  onConfigStart?: (config: CompareConfig, index: number, total: number) => void;
  /** Called after each epoch of a configuration. */
  onEpochEnd?: (config: CompareConfig, record: EpochRecord) => void;
  /** Called after each batch of a dni configuration. */
  onBatchEnd?: (info: BatchInfo) => void;
}

/** Trains each configuration in turn (same seed, data order, budget) and returns the report. */
export async function runComparison(configs: CompareConfig[], options: ComparisonOptions): Promise<ComparisonReport> {
  const { epochs, batchSize, seed, target, datasets } = options;
  const results: ConfigResult[] = [];
  for (const [index, config] of configs.entries()) {
    const dataset = datasets[config.dataset];
    if (!dataset) throw new RangeError(`No dataset "${config.dataset}" was loaded for configuration ${config.name}`);
    options.onConfigStart?.(config, index, configs.length);
    const onEpochEnd = (r: EpochRecord) => options.onEpochEnd?.(config, r);
    let records: EpochRecord[];
    if (config.spec === null) {
      records = await fitLayersPeer(dataset, { epochs, batchSize, seed, depth: config.depth, onEpochEnd });
    } else {
      const network = buildNetwork(config.spec, { seed, registries: options.registries });
      try {
        records = (await train(network, dataset, {
          epochs,
          batchSize,
          seed,
          strategy: workersStrategy(network, { workers: config.workers, staleness: options.staleness ?? 1 }),
          callbacks: { onEpochEnd, onBatchEnd: options.onBatchEnd },
        })).epochs;
      } finally {
        network.dispose();
      }
    }
    results.push(summarize(config, records, target, dataset.train.count));
  }
  for (const r of results) {
    const base = results.find((b) =>
      b.interface === "backprop" && b.workers === 1 && b.depth === r.depth && b.dataset === r.dataset
    );
    r.speedVsBackprop = base ? r.samplesPerSecond / base.samplesPerSecond : null;
  }
  const first = Object.values(datasets)[0];
  return {
    createdAt: new Date().toISOString(),
    machine: machineInfo(),
    options: {
      epochs,
      batchSize,
      seed,
      target,
      staleness: options.staleness ?? 1,
      trainCount: first?.train.count ?? 0,
      testCount: first?.test.count ?? 0,
    },
    results,
    note: "All configurations ran one after another in one process on the same machine, with the same seed, data " +
      "order and budget; ratios are between these runs. Training seconds exclude evaluation.",
  };
}

function summarize(config: CompareConfig, epochs: EpochRecord[], target: number, trainCount: number): ConfigResult {
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
    samplesPerSecond: (trainCount * epochs.length) / seconds,
    speedVsBackprop: null,
    secondsToTarget,
    epochsToTarget,
    testAccuracy: last.testAccuracy!,
    testLoss: last.testLoss!,
    diagnostics: last.interfaces ?? [],
  };
}
