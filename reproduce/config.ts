/**
 * A reproduction table's config: the rows (a spec on a dataset, with its budget), the seeds every row runs with, and
 * the settings they share. JSON, e.g. `reproduce/mnist_fcn_depth.json`:
 *
 * ```json
 * {
 *   "name": "mnist-fcn-depth",
 *   "seeds": 3,
 *   "epochs": 20,
 *   "target": 0.97,
 *   "rows": [
 *     { "spec": "../examples/fcn3_backprop_bn.json", "dataset": "mnist" },
 *     { "spec": "../examples/fcn3_csg_bn.json", "dataset": "mnist", "workers": 2 },
 *     { "spec": "../examples/copy_lstm_dni.json", "dataset": "copy", "truncation": 3, "steps": 100000 }
 *   ]
 * }
 * ```
 *
 * Spec paths are relative to the config file. A row of a dataset of examples trains `epochs` epochs; a row of a
 * sequence task (`copy`, `repeat-copy`, `seq-mnist`) trains `steps` batches in epochs of `stepsPerEpoch` (its
 * truncation window `truncation`, or full BPTT without it).
 *
 * @module
 */
import { DATASET_NAMES } from "../datasets/catalog.ts";

/** The sequence tasks a table's row can train. */
export const TABLE_SEQUENCE_TASKS = ["copy", "repeat-copy", "seq-mnist"] as const;

/** One row of a table, as the config gives it (with the shared settings filled in). */
export interface TableRow {
  /** The row's name in the report (default: the spec file's name, with ` T=N` on a sequence task). */
  name: string;
  /**
   * The spec file, relative to the working directory (resolved from the config's folder); empty for a row of
   * `fcn`.
   */
  spec: string;
  /** Instead of a file: the DNI paper's MNIST MLP, `depth` hidden FC-256 -> batch norm -> ReLU blocks, `interface` on each. */
  fcn?: { depth: number; interface: string };
  /** A dataset of examples (`mnist`, `fashion-mnist`) or a sequence task. */
  dataset: string;
  /** Workers (1: one thread). */
  workers: number;
  /** A dataset of examples: epochs per run. */
  epochs?: number;
  /** A sequence task: batches per run, in epochs of `stepsPerEpoch`. */
  steps?: number;
  stepsPerEpoch?: number;
  /** A sequence task: the truncation window (full BPTT without it). */
  truncation?: number;
  batchSize: number;
}

/** A whole table. */
export interface TableConfig {
  name: string;
  /** The seeds every row runs with. */
  seeds: number[];
  /** Target test accuracy for time to target. */
  target: number;
  /** Use only the first N training / test examples (tests, quick looks). */
  trainCount?: number;
  testCount?: number;
  rows: TableRow[];
}

/** A config that cannot be used: names the file, the field and the value. */
export class TableConfigError extends Error {
  /** @param file The config file. @param problem What is wrong, naming the field and the value. */
  constructor(readonly file: string, problem: string) {
    super(`Reproduction config ${file}: ${problem}`);
    this.name = "TableConfigError";
  }
}

const KEYS = ["name", "seeds", "epochs", "steps", "stepsPerEpoch", "batchSize", "target", "trainCount", "testCount"];
const ROW_KEYS = [
  "name",
  "spec",
  "fcn",
  "dataset",
  "workers",
  "epochs",
  "steps",
  "stepsPerEpoch",
  "truncation",
  "batchSize",
];

/**
 * Checks a parsed config and fills in the defaults (seeds 3, target 0.97, batch 128 or 32 on a sequence task,
 * 1,000 steps per epoch on a sequence task, one Worker).
 *
 * @param dir The config file's folder: spec paths are resolved from it.
 * @throws {TableConfigError} Naming the field and the value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTableConfig } from "./config.ts";
 * const table = parseTableConfig({ name: "t", epochs: 2, rows: [{ spec: "a.json", dataset: "mnist" }] }, "t.json", "cfg");
 * assert.deepEqual(table.seeds, [0, 1, 2]);
 * assert.equal(table.rows[0]!.spec, "cfg/a.json");
 * assert.throws(() => parseTableConfig({ name: "t", rows: [] }, "t.json", "."), /"rows" must list at least one row/);
 * ```
 */
export function parseTableConfig(value: unknown, file: string, dir: string): TableConfig {
  const fail = (problem: string): never => {
    throw new TableConfigError(file, problem);
  };
  const c = record(value, "the config", fail);
  unknownKeys(c, KEYS.concat("rows"), "the config", fail);
  if (typeof c.name !== "string" || !/^[\w.-]+$/.test(c.name)) {
    fail(`"name" must be a name of letters, digits, "-", "_" or ".", got ${JSON.stringify(c.name)}`);
  }
  const seeds = c.seeds === undefined
    ? [0, 1, 2]
    : typeof c.seeds === "number"
    ? Array.from({ length: integer(c.seeds, "seeds", 1, fail) }, (_, i) => i)
    : Array.isArray(c.seeds) && c.seeds.length > 0
    ? c.seeds.map((s, i) => integer(s, `seeds[${i}]`, 0, fail))
    : fail(`"seeds" must be a count >= 1 or a list of seeds, got ${JSON.stringify(c.seeds)}`);
  if (new Set(seeds).size !== seeds.length) fail(`"seeds" repeats a seed: ${JSON.stringify(c.seeds)}`);
  const target = c.target === undefined ? 0.97 : c.target;
  if (typeof target !== "number" || !(target > 0 && target <= 1)) {
    fail(`"target" must be a number in (0, 1], got ${JSON.stringify(c.target)}`);
  }
  if (!Array.isArray(c.rows) || c.rows.length === 0) fail(`"rows" must list at least one row`);
  const rows = (c.rows as unknown[]).map((r, i) => parseRow(r, i, c, dir, fail));
  const names = rows.map((r) => r.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) fail(`two rows are named "${twice}": give one a "name"`);
  return {
    name: c.name as string,
    seeds,
    target: target as number,
    ...(c.trainCount === undefined ? {} : { trainCount: integer(c.trainCount, "trainCount", 1, fail) }),
    ...(c.testCount === undefined ? {} : { testCount: integer(c.testCount, "testCount", 1, fail) }),
    rows,
  };
}

function parseRow(
  value: unknown,
  i: number,
  shared: Record<string, unknown>,
  dir: string,
  fail: (problem: string) => never,
): TableRow {
  const where = `rows[${i}]`;
  const r = record(value, where, fail);
  unknownKeys(r, ROW_KEYS, where, fail);
  const fcn = r.fcn === undefined ? undefined : parseFcn(r.fcn, where, fail);
  if (fcn === undefined && (typeof r.spec !== "string" || r.spec === "")) {
    fail(`${where} needs "spec" (a spec file) or "fcn" ({ "depth", "interface" }), got spec ${JSON.stringify(r.spec)}`);
  }
  if (fcn !== undefined && r.spec !== undefined) fail(`${where} has both "spec" and "fcn": keep one`);
  const dataset = r.dataset;
  const sequence = (TABLE_SEQUENCE_TASKS as readonly unknown[]).includes(dataset);
  if (!sequence && !DATASET_NAMES.includes(dataset as string)) {
    fail(
      `${where}.dataset must be one of ${[...DATASET_NAMES, ...TABLE_SEQUENCE_TASKS].join(", ")}, got ${
        JSON.stringify(dataset)
      }`,
    );
  }
  const get = (key: string) => r[key] ?? shared[key];
  const workers = r.workers === undefined ? 1 : integer(r.workers, `${where}.workers`, 1, fail);
  const batchSize = get("batchSize") === undefined
    ? (sequence ? 32 : 128)
    : integer(get("batchSize"), `${where}.batchSize`, 1, fail);
  const file = fcn === undefined ? r.spec as string : "";
  const spec = fcn !== undefined ? "" : file.startsWith("/") ? file : `${dir}/${file}`;
  const base = fcn !== undefined
    ? `fcn${fcn.depth}-${fcn.interface}-bn`
    : file.replace(/^.*\//, "").replace(/\.json$/, "");
  const from = fcn === undefined ? {} : { fcn };
  if (!sequence) {
    if (get("epochs") === undefined) fail(`${where} trains ${dataset}: it needs "epochs" (its own or the config's)`);
    if (r.truncation !== undefined || r.steps !== undefined) {
      fail(`${where}: "truncation" and "steps" are for sequence tasks, not ${dataset}`);
    }
    return {
      name: typeof r.name === "string" ? r.name : `${base}-${dataset}${workers > 1 ? `-w${workers}` : ""}`,
      spec,
      ...from,
      dataset: dataset as string,
      workers,
      epochs: integer(get("epochs"), `${where}.epochs`, 1, fail),
      batchSize,
    };
  }
  if (get("steps") === undefined) fail(`${where} trains ${dataset}: it needs "steps" (its own or the config's)`);
  const steps = integer(get("steps"), `${where}.steps`, 1, fail);
  const stepsPerEpoch = get("stepsPerEpoch") === undefined
    ? Math.min(1000, steps)
    : integer(get("stepsPerEpoch"), `${where}.stepsPerEpoch`, 1, fail);
  if (steps % stepsPerEpoch !== 0) {
    fail(`${where}: "steps" (${steps}) must be a multiple of "stepsPerEpoch" (${stepsPerEpoch})`);
  }
  const truncation = r.truncation === undefined ? undefined : integer(r.truncation, `${where}.truncation`, 1, fail);
  return {
    name: typeof r.name === "string" ? r.name : `${base} T=${truncation ?? "full"}`,
    spec,
    ...from,
    dataset: dataset as string,
    workers,
    steps,
    stepsPerEpoch,
    ...(truncation === undefined ? {} : { truncation }),
    batchSize,
  };
}

function parseFcn(value: unknown, where: string, fail: (p: string) => never): { depth: number; interface: string } {
  const f = record(value, `${where}.fcn`, fail);
  unknownKeys(f, ["depth", "interface"], `${where}.fcn`, fail);
  const depth = integer(f.depth, `${where}.fcn.depth`, 1, fail);
  if (typeof f.interface !== "string" || f.interface === "") {
    fail(`${where}.fcn.interface must name an interface, got ${JSON.stringify(f.interface)}`);
  }
  return { depth, interface: f.interface as string };
}

function record(value: unknown, where: string, fail: (p: string) => never): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(`${where} must be a JSON object, got ${JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}

function unknownKeys(r: Record<string, unknown>, known: string[], where: string, fail: (p: string) => never): void {
  const extra = Object.keys(r).find((k) => !known.includes(k));
  if (extra !== undefined) fail(`${where} has an unknown field "${extra}" (known: ${known.join(", ")})`);
}

function integer(value: unknown, field: string, min: number, fail: (p: string) => never): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    fail(`"${field}" must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value as number;
}
