/**
 * One run of a reproduction table: a row with one seed, trained in its own folder so that it survives interruption.
 * The folder holds `epochs.json` (the records of the epochs done), `checkpoint/` (saved after every epoch and when
 * the run is stopped) and, once the run is done, `result.json`. Started again, a done run is read back, a stopped
 * one goes on from its checkpoint (inside the epoch where it stopped) exactly as if it had not stopped, and a new
 * one starts.
 *
 * @module
 */
import { networkFromCheckpoint } from "../checkpoint/load.ts";
import { readCheckpoint } from "../checkpoint/read.ts";
import { saveCheckpoint } from "../checkpoint/save.ts";
import { writeFileAtomic } from "../datasets/files.ts";
import type { Dataset } from "../datasets/dataset.ts";
import { buildNetwork } from "../network/build.ts";
import type { Network } from "../network/network.ts";
import type { Registries } from "../network/registries.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { workersStrategy } from "../parallel/workers.ts";
import type { SequenceData } from "../recurrent/sequence_data.ts";
import { type ConfigResult, runResult } from "../report/compare.ts";
import { type CompareConfig, depthOf, interfaceOf } from "../report/configs.ts";
import type { BatchInfo, EpochRecord } from "../training/history.ts";
import { train } from "../training/train.ts";
import type { TableRow } from "./config.ts";

/** Where a run stands before it starts. */
export type RunState = "done" | "stopped" | "new";

/** The folder of a row's run with a seed, under the table's folder. */
export function runDir(out: string, row: TableRow, seed: number): string {
  return `${out}/runs/${row.name.replace(/[^\w.-]+/g, "_")}-seed${seed}`;
}

/** Whether the run in `dir` is done, stopped (a checkpoint to go on from) or new. */
export async function runState(dir: string): Promise<RunState> {
  if (await exists(`${dir}/result.json`)) return "done";
  if (await exists(`${dir}/checkpoint/manifest.json`)) return "stopped";
  return "new";
}

/** Options of `runRow`. */
export interface RunRowOptions {
  registries?: Registries;
  /** Stops the run after the batch in flight; it is saved, to go on from later. */
  signal?: AbortSignal;
  onBatchEnd?: (info: BatchInfo) => void;
  onEpochEnd?: (record: EpochRecord) => void;
}

/** A run's end: its result, or where it stopped (saved in its folder). */
export type RunEnd = { result: ConfigResult } | { stopped: { epoch: number; batch: number } };

/**
 * Trains `row` with `seed` in `dir` (made if needed): reads the result of a done run, goes on from the checkpoint of
 * a stopped one, or starts; saves its records and checkpoint after every epoch and when `signal` stops it.
 */
export async function runRow(
  row: TableRow,
  spec: NetworkSpec,
  seed: number,
  data: Dataset | SequenceData,
  target: number,
  dir: string,
  options: RunRowOptions = {},
): Promise<RunEnd> {
  if (await runState(dir) === "done") return { result: JSON.parse(await Deno.readTextFile(`${dir}/result.json`)) };
  await Deno.mkdir(dir, { recursive: true });
  const config = configOf(row, spec);
  const { network, records } = await start(dir, spec, seed, options.registries);
  try {
    const totalEpochs = row.epochs ?? row.steps! / row.stepsPerEpoch!;
    const history = await train(network, data, {
      epochs: totalEpochs - network.epochs,
      initialEpoch: network.epochs,
      ...(row.stepsPerEpoch === undefined ? {} : { stepsPerEpoch: row.stepsPerEpoch }),
      ...("task" in data ? { sequence: row.truncation === undefined ? {} : { truncation: row.truncation } } : {}),
      batchSize: row.batchSize,
      seed,
      strategy: workersStrategy(network, { workers: row.workers }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      callbacks: {
        onBatchEnd: options.onBatchEnd,
        onEpochEnd: (r) => {
          records.push(r);
          options.onEpochEnd?.(r);
        },
        // the records first: a checkpoint is never ahead of them (start() cuts records beyond the checkpoint)
        onCheckpoint: async () => {
          await writeJson(`${dir}/epochs.json`, records);
          await saveCheckpoint(network, `${dir}/checkpoint`);
        },
      },
    });
    if (history.interrupted !== undefined) return { stopped: history.interrupted };
    const seconds = records.reduce((s, e) => s + e.seconds, 0);
    const samples = records.reduce((s, e) => s + e.samplesPerSecond * e.seconds, 0);
    const result = {
      ...runResult(
        config,
        { ...history, epochs: records, seconds, samplesPerSecond: samples / seconds },
        target,
        task(data),
      ),
      seed,
    };
    await writeJson(`${dir}/result.json`, result);
    return { result };
  } finally {
    network.dispose();
  }
}

// The network and the records to go on from: the checkpoint's, or a new network.
async function start(
  dir: string,
  spec: NetworkSpec,
  seed: number,
  registries: Registries | undefined,
): Promise<{ network: Network; records: EpochRecord[] }> {
  if (await runState(dir) !== "stopped") {
    return { network: buildNetwork(spec, { seed, ...(registries ? { registries } : {}) }), records: [] };
  }
  const network = networkFromCheckpoint(await readCheckpoint(`${dir}/checkpoint`), registries ? { registries } : {});
  const saved: EpochRecord[] = await exists(`${dir}/epochs.json`)
    ? JSON.parse(await Deno.readTextFile(`${dir}/epochs.json`))
    : [];
  return { network, records: saved.slice(0, network.epochs) };
}

/** The report's configuration of a table row. */
export function configOf(row: TableRow, spec: NetworkSpec): CompareConfig {
  return {
    name: row.name,
    interface: interfaceOf(spec),
    depth: depthOf(spec),
    dataset: row.dataset,
    workers: row.workers,
    spec,
    ...(row.truncation === undefined ? {} : { truncation: row.truncation }),
  };
}

const task = (data: Dataset | SequenceData) => "task" in data ? data.task : undefined;

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, new TextEncoder().encode(JSON.stringify(value, null, 1) + "\n"));
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}
