/**
 * `reproduceTable`: runs a reproduction table (reproduce/config.ts) one run (a row with one seed) at a time, each in
 * its own folder under the table's (reproduce/run.ts), and writes the table's report (the comparison report's
 * format, with each row's spread over the seeds) once every run is done. Stopped and started again, it goes on
 * where it stopped: done runs are read back, a stopped run goes on from its checkpoint.
 *
 * @module
 */
import { loadDataset } from "../datasets/load.ts";
import type { Dataset } from "../datasets/dataset.ts";
import { buildNetwork } from "../network/build.ts";
import type { Registries } from "../network/registries.ts";
import type { NetworkSpec } from "../network/spec.ts";
import type { SequenceData } from "../recurrent/sequence_data.ts";
import { type ComparisonReport, type ConfigResult, setSpeedRatios } from "../report/compare.ts";
import { machineInfo } from "../report/machine.ts";
import { rowSpreads } from "../report/seeds.ts";
import { fcnSpec } from "../report/configs.ts";
import { writeReport } from "../report/write.ts";
import type { BatchInfo } from "../training/history.ts";
import { readSpec } from "../cli/spec_file.ts";
import type { TableConfig, TableRow } from "./config.ts";
import { runDir, runRow, runState } from "./run.ts";
import { TimeLeft } from "./time_left.ts";

/** One run of a table: a row with a seed, and its folder. */
export interface TableRun {
  row: TableRow;
  seed: number;
  dir: string;
  /** Its epochs (a sequence row: steps / stepsPerEpoch), the unit of the time left. */
  epochs: number;
}

/** The runs of `table` under `out`: all rows with the first seed, then the next seed. */
export function tableRuns(table: TableConfig, out: string): TableRun[] {
  return table.seeds.flatMap((seed) =>
    table.rows.map((row) => ({
      row,
      seed,
      dir: runDir(out, row, seed),
      epochs: row.epochs ?? row.steps! / row.stepsPerEpoch!,
    }))
  );
}

/** Options of `reproduceTable`. */
export interface ReproduceOptions {
  /** The table's folder: its runs and, when all are done, report.md, report.json and the curves. */
  out: string;
  registries?: Registries;
  /** Stops after the batch in flight; the run in flight is saved, to go on from later. */
  signal?: AbortSignal;
  /** Only this run (its index in `tableRuns`): what a process of `reproduce --parallel` runs. */
  only?: number;
  /** Progress lines: runs done, the run in flight, the time left. */
  onProgress?: (line: string) => void;
  onBatchEnd?: (run: TableRun, info: BatchInfo) => void;
  /** Where the datasets come from (default: loadDataset, with the table's trainCount/testCount). */
  loadData?: (name: string) => Promise<Dataset | SequenceData>;
}

/** How far a table got: its report when every run is done, else where it stopped. */
export interface TableOutcome {
  /** Runs done, of `total`. */
  done: number;
  total: number;
  report?: ComparisonReport;
  /** The run that was stopped and where (its checkpoint holds the place). */
  stopped?: { run: TableRun; epoch: number; batch: number };
}

/**
 * Runs the table's runs that are not done, in order, then writes its report. Every spec is read and built before
 * anything trains, so a bad file fails at once.
 *
 * @throws {SpecError} Or the error of a spec file that cannot be read or built, naming the file.
 */
export async function reproduceTable(table: TableConfig, options: ReproduceOptions): Promise<TableOutcome> {
  const specs = await readSpecs(table, options.registries);
  const runs = tableRuns(table, options.out);
  const data = new Map<string, Dataset | SequenceData>();
  const load = options.loadData ?? ((name: string) => defaultData(name, table));
  const say = options.onProgress ?? (() => {});
  const clock = new TimeLeft(runs);
  for (const [i, run] of runs.entries()) {
    if (options.only !== undefined && i !== options.only) continue;
    const state = await runState(run.dir);
    if (state === "done") {
      clock.skip(run);
      continue;
    }
    if (!data.has(run.row.dataset)) data.set(run.row.dataset, await load(run.row.dataset));
    say(`${clock.line()}: ${state === "stopped" ? "going on with" : "starting"} ${run.row.name}, seed ${run.seed}`);
    const end = await runRow(
      run.row,
      specs.get(run.row.name)!,
      run.seed,
      data.get(run.row.dataset)!,
      table.target,
      run.dir,
      {
        ...(options.registries ? { registries: options.registries } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        onBatchEnd: (info) => options.onBatchEnd?.(run, info),
        onEpochEnd: (r) => {
          clock.epochs(1);
          say(`${clock.line()}: ${run.row.name}, seed ${run.seed}, epoch ${r.epoch}/${run.epochs}`);
        },
      },
    );
    if ("stopped" in end) return { done: clock.runsDone, total: runs.length, stopped: { run, ...end.stopped } };
    clock.finish();
  }
  if (options.only !== undefined) return { done: clock.runsDone, total: runs.length };
  const results: ConfigResult[] = [];
  for (const run of runs) results.push(JSON.parse(await Deno.readTextFile(`${run.dir}/result.json`)));
  const report = tableReport(table, results);
  await writeReport(report, options.out);
  say(`${runs.length} of ${runs.length} runs done: wrote ${options.out}/report.md`);
  return { done: runs.length, total: runs.length, report };
}

/** The table's report from its runs' results (in `tableRuns` order). */
export function tableReport(table: TableConfig, results: ConfigResult[]): ComparisonReport {
  setSpeedRatios(results);
  const sequence = results.some((r) => r.sequence !== undefined);
  const firstRow = table.rows[0]!;
  return {
    createdAt: new Date().toISOString(),
    machine: machineInfo(),
    options: {
      epochs: firstRow.epochs ?? 0,
      ...(firstRow.steps === undefined ? {} : { steps: firstRow.steps }),
      batchSize: firstRow.batchSize,
      seed: table.seeds[0]!,
      ...(table.seeds.length > 1 ? { seeds: table.seeds } : {}),
      target: sequence ? 1 : table.target,
      staleness: 1,
      trainCount: table.trainCount ?? 0,
      testCount: table.testCount ?? 0,
    },
    results,
    ...(table.seeds.length > 1 ? { spread: rowSpreads(results) } : {}),
    note: `The table "${table.name}": each row once with each seed, one run at a time (or two at a time on one ` +
      "thread each, as asked), each run checkpointed as it trained and resumed where it stopped. Training seconds " +
      "exclude evaluation; speed ratios are against the backprop row of the same seed.",
  };
}

// Each row's spec, by row name: read from its file, or the FCN it names.
async function readSpecs(table: TableConfig, registries: Registries | undefined): Promise<Map<string, NetworkSpec>> {
  const specs = new Map<string, NetworkSpec>();
  for (const row of table.rows) {
    const spec = row.fcn ? fcnSpec(row.fcn.depth, row.fcn.interface) : await readSpec(row.spec);
    buildNetwork(spec, registries ? { registries } : {}).dispose();
    specs.set(row.name, spec);
  }
  return specs;
}

async function defaultData(name: string, table: TableConfig): Promise<Dataset | SequenceData> {
  if (name === "copy" || name === "repeat-copy") return { task: name };
  const counts = { trainCount: table.trainCount, testCount: table.testCount };
  if (name === "seq-mnist") {
    const mnist = await loadDataset("mnist", counts);
    return { task: "seq-mnist", train: mnist.train, test: mnist.test };
  }
  return await loadDataset(name, counts);
}
