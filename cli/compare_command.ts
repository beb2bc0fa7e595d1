/**
 * `cli.ts compare`: the seed paper's experiment. Trains interfaces x depths x datasets (and the TF.js layers
 * peer) with the same seed, data order and budget, in one process, and writes the report.
 *
 * @module
 */
import { DATASET_NAMES } from "../datasets/catalog.ts";
import type { Dataset } from "../datasets/dataset.ts";
import { loadDataset } from "../datasets/load.ts";
import { buildNetwork } from "../network/build.ts";
import { type ComparisonReport, runComparison } from "../report/compare.ts";
import { COMPARE_INTERFACES, compareConfigs, specConfigs } from "../report/configs.ts";
import { reportMarkdown } from "../report/markdown.ts";
import { writeReport } from "../report/write.ts";
import { intFlag, parseFlags, seedsFlag, UsageError } from "./args.ts";
import { applyBackendFlags, BACKEND_OPTIONS, BACKEND_USAGE, type BackendFlags, backendFlags } from "./backend_flags.ts";
import { Progress } from "./progress.ts";
import { PLUGIN_OPTION, PLUGIN_USAGE, pluginFlag, pluginRegistries } from "./plugins.ts";
import { readSpec } from "./spec_file.ts";
import { isSequenceCompare, SEQUENCE_COMPARE_USAGE, sequenceCompareCommand } from "./sequence_compare.ts";

/** The usage text of `compare`. */
export const COMPARE_USAGE = `Usage: deno task compare [options]

  --interfaces LIST       comma-separated, of ${COMPARE_INTERFACES.join(", ")} (default: all)
  --depths LIST           hidden layers, comma-separated (default 3); each row an FCN of FC-256 -> BN -> ReLU
                          blocks, named after its model: fcn3-csg-bn-mnist is examples/fcn3_csg_bn.json on mnist
  --specs FILES           comma-separated spec files to compare instead of the FCNs of --interfaces and --depths,
                          e.g. examples/cnn_backprop.json,examples/cnn_csg.json (rows named after the files);
                          with --interfaces tfjs-layers the TF.js peer's FCN of --depths runs in the same report
  --datasets LIST         comma-separated, of ${DATASET_NAMES.join(", ")} (default mnist)
  --workers LIST          worker counts, comma-separated (default 1); rows on N > 1 workers run sg/csg as a
                          pipeline of modules and backprop data-parallel (the TF.js peer runs on one thread)
  --staleness K           pipeline rows: a module runs at most K batches ahead of its messages (default 1)
  --epochs N              epochs per configuration (default 10)
  --batch-size N          examples per step (default 128)
  --seed N                seed of weights and data order, the same for every configuration (default 0)
  --seeds N               run every configuration N times, with seeds S..S+N-1 (S: --seed); the report gives
                          each row's mean, standard deviation and range, and says "beats" only beyond them
  --target P              target test accuracy, e.g. 0.97 (default 0.97)
  --out DIR               where report.md, report.json and the SVG curves go (default reports/compare)
  --data-dir DIR          read dataset files from DIR
  --train-count N         use only the first N training examples
  --test-count N          use only the first N test examples
${BACKEND_USAGE}
  --json                  print the report as one JSON object, the last line of stdout
${PLUGIN_USAGE}
                          (--interfaces may then name its interfaces)

${SEQUENCE_COMPARE_USAGE.replace("Usage: ", "Sequence tasks: ")}`;

/** Options of the compare run that `demo` shares. */
export interface CompareArgs {
  interfaces: string[];
  depths: number[];
  datasets: string[];
  workers: number[];
  staleness: number;
  epochs: number;
  batchSize: number;
  seed: number;
  /** Every seed each configuration runs with (`--seeds N`). @default {[seed]} */
  seeds?: number[];
  target: number;
  out: string;
  dataDir?: string;
  trainCount?: number;
  testCount?: number;
  backend: BackendFlags;
  json: boolean;
  /** Plugin modules (`--plugin`), whose interfaces `interfaces` may name. @default {[]} */
  plugins?: string[];
  /** Spec files to compare instead of the FCNs of `interfaces` and `depths`. @default {[]} */
  specs?: string[];
  /** With `specs`: also the TF.js peer's FCN rows of `depths` (`--interfaces tfjs-layers`). */
  specsWithPeer?: boolean;
}

// `choices` null: any names (checked later).
function listFlag(
  values: Record<string, unknown>,
  name: string,
  choices: readonly string[] | null,
  fallback: string[],
) {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const items = String(raw).split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) {
    throw new UsageError(`--${name} must list at least one of ${(choices ?? fallback).join(", ")}`);
  }
  for (const item of items) checkChoice(name, item, choices);
  return items;
}

function checkChoice(name: string, item: string, choices: readonly string[] | null): void {
  if (choices !== null && !choices.includes(item)) {
    throw new UsageError(`--${name}: "${item}" is not one of ${choices.join(", ")}`);
  }
}

/** Parses the flags of `compare`. */
export function parseCompareArgs(args: string[]): CompareArgs | "help" {
  const values = parseFlags(args, {
    interfaces: { type: "string" },
    depths: { type: "string" },
    specs: { type: "string" },
    datasets: { type: "string" },
    workers: { type: "string" },
    staleness: { type: "string" },
    epochs: { type: "string" },
    "batch-size": { type: "string" },
    seed: { type: "string" },
    seeds: { type: "string" },
    target: { type: "string" },
    out: { type: "string" },
    "data-dir": { type: "string" },
    "train-count": { type: "string" },
    "test-count": { type: "string" },
    ...BACKEND_OPTIONS,
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
    ...PLUGIN_OPTION,
  }, "compare");
  if (values.help) return "help";
  const plugins = pluginFlag(values);
  const depths = values.depths === undefined ? [3] : String(values.depths).split(",").map((d) => {
    const n = Number(d);
    if (!Number.isInteger(n) || n < 1 || n > 16) throw new UsageError(`--depths: "${d}" is not an integer in 1..16`);
    return n;
  });
  const workers = values.workers === undefined ? [1] : String(values.workers).split(",").map((d) => {
    const n = Number(d);
    if (!Number.isInteger(n) || n < 1 || n > 16) throw new UsageError(`--workers: "${d}" is not an integer in 1..16`);
    return n;
  });
  if (values.specs !== undefined && values.interfaces !== undefined && values.interfaces !== "tfjs-layers") {
    throw new UsageError(
      `--interfaces with --specs can only be tfjs-layers (adds the TF.js peer's FCN rows), got "${values.interfaces}"`,
    );
  }
  const target = values.target === undefined ? 0.97 : Number(values.target);
  if (!(target > 0 && target <= 1)) throw new UsageError(`--target must be a number in (0, 1], got "${values.target}"`);
  return {
    // With plugins, their interface names are checked once they are loaded (runCompare).
    interfaces: plugins.length > 0
      ? listFlag(values, "interfaces", null, [...COMPARE_INTERFACES])
      : listFlag(values, "interfaces", COMPARE_INTERFACES, [...COMPARE_INTERFACES]),
    depths,
    datasets: listFlag(values, "datasets", DATASET_NAMES, ["mnist"]),
    workers,
    staleness: intFlag(values, "staleness", 1, 0),
    epochs: intFlag(values, "epochs", 10, 1),
    batchSize: intFlag(values, "batch-size", 128, 1),
    seed: intFlag(values, "seed", 0, 0),
    seeds: seedsFlag(values, intFlag(values, "seed", 0, 0)),
    target,
    out: typeof values.out === "string" ? values.out : "reports/compare",
    dataDir: values["data-dir"] as string | undefined,
    trainCount: values["train-count"] === undefined ? undefined : intFlag(values, "train-count", 0, 1),
    testCount: values["test-count"] === undefined ? undefined : intFlag(values, "test-count", 0, 1),
    backend: backendFlags(values),
    json: values.json === true,
    plugins,
    specs: values.specs === undefined ? [] : listFlag(values, "specs", null, []),
    specsWithPeer: values.specs !== undefined && values.interfaces === "tfjs-layers",
  };
}

/** Runs a comparison with parsed arguments, printing progress and writing the report. */
export async function runCompare(
  a: CompareArgs,
  io: { out: (s: string) => void; err: (s: string) => void; live: boolean },
): Promise<ComparisonReport> {
  const backendSays = await applyBackendFlags(a.backend);
  const registries = await pluginRegistries(a.plugins ?? []);
  const known = [
    ...COMPARE_INTERFACES,
    ...registries.interfaces.names().filter((n) => !COMPARE_INTERFACES.includes(n as never)),
  ];
  for (const iface of a.interfaces) checkChoice("interfaces", iface, known);
  await Deno.mkdir(a.out, { recursive: true }); // an unwritable --out fails now, not after hours of training
  const log = a.json ? io.err : io.out;
  const datasets: Record<string, Dataset> = {};
  for (const name of a.datasets) {
    datasets[name] = await loadDataset(name, {
      dataDir: a.dataDir,
      trainCount: a.trainCount,
      testCount: a.testCount,
      onProgress: (m) => io.err(m + "\n"),
    });
  }
  const specs = await Promise.all((a.specs ?? []).map(async (file) => ({
    name: file.replace(/^.*\//, "").replace(/\.json$/, ""),
    spec: await readSpec(file),
  })));
  // Every spec builds before anything trains: a bad third file fails now, not after hours of training.
  for (const { spec } of specs) buildNetwork(spec, { registries }).dispose();
  const configs = specs.length > 0
    ? [
      ...specConfigs(specs, a.datasets, a.workers),
      ...(a.specsWithPeer ? compareConfigs(["tfjs-layers"], a.depths, a.datasets) : []),
    ]
    : compareConfigs(a.interfaces, a.depths, a.datasets, a.workers);
  log(backendSays + "\n");
  let progress: Progress | undefined;
  const report = await runComparison(configs, {
    epochs: a.epochs,
    batchSize: a.batchSize,
    seed: a.seed,
    seeds: a.seeds,
    target: a.target,
    staleness: a.staleness,
    registries,
    datasets,
    onConfigStart: (config, i, total, seed) => {
      log(`[${i + 1}/${total}] ${config.name}${(a.seeds?.length ?? 1) > 1 ? ` (seed ${seed})` : ""}\n`);
      progress = new Progress(log, io.live && !a.json, a.epochs, config.name);
    },
    onBatchEnd: (b) => progress?.batch(b),
    onEpochEnd: (_config, r) => progress?.epoch(r),
  });
  const paths = await writeReport(report, a.out);
  log(`\n${reportMarkdown(report)}\nwrote ${paths.join(", ")}\n`);
  if (a.json) io.out(JSON.stringify(report) + "\n");
  return report;
}

/** `compare` as a CLI command; resolves to the exit status. */
export async function compareCommand(
  args: string[],
  io: { out: (s: string) => void; err: (s: string) => void; live: boolean },
): Promise<number> {
  if (isSequenceCompare(args)) return await sequenceCompareCommand(args, io);
  const parsed = parseCompareArgs(args);
  if (parsed === "help") {
    io.out(COMPARE_USAGE + "\n");
    return 0;
  }
  await runCompare(parsed, io);
  return 0;
}
