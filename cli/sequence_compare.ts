/**
 * `compare` on a sequence task: sequence specs (BPTT against DNI) for a list of truncation windows, one row per
 * spec and window in the one report format (`report.md`, `report.json`, `curves-time.svg`, `curves-epochs.svg`).
 *
 * @module
 */
import { isSequenceSpec } from "../recurrent/build.ts";
import { runComparison } from "../report/compare.ts";
import { sequenceConfigs } from "../report/configs.ts";
import { reportMarkdown } from "../report/markdown.ts";
import { writeReport } from "../report/write.ts";
import { intFlag, parseFlags, seedsFlag, UsageError } from "./args.ts";
import { applyBackendFlags, BACKEND_OPTIONS, BACKEND_USAGE, backendFlags } from "./backend_flags.ts";
import { PLUGIN_OPTION, PLUGIN_USAGE, pluginFlag, pluginRegistries } from "./plugins.ts";
import { isSequenceDataset, SEQUENCE_DATASETS, sequenceData, sequenceFlags } from "./sequence_train.ts";
import { sequenceLine } from "./progress.ts";
import { readSpec } from "./spec_file.ts";

/** The usage text of `compare` on sequence tasks. */
export const SEQUENCE_COMPARE_USAGE =
  `Usage: deno task compare --datasets TASK --specs FILES --truncations LIST [options]

  --datasets TASK         one of ${SEQUENCE_DATASETS.join(" | ")}
  --specs FILES           comma-separated sequence specs, e.g. examples/copy_lstm_bptt.json,examples/copy_lstm_dni.json
  --truncations LIST      comma-separated windows T, or "full" (full BPTT), e.g. 2,3,5
  --steps N               training steps per run (default 2000)
  --batch-size N          sequences per batch (default 32)
  --seed N                the same for every run (default 0)
  --seeds N               run every row N times, with seeds S..S+N-1 (S: --seed); the report gives each row's
                          mean, standard deviation and range
  --threshold BITS        copy tasks: the curriculum's threshold in bits per sequence (default 0.15)
  --sequence-length N     text: characters per stream and batch (default 100)
  --log-every N           steps between progress lines (default 500)
  --out DIR               where report.md, report.json and the curves go (default reports/compare-sequences)
${BACKEND_USAGE}
  --json                  print the report as one JSON object, the last line of stdout
${PLUGIN_USAGE}`;

/** Whether `compare`'s arguments ask for a sequence comparison (`--truncations`, or a sequence dataset). */
export function isSequenceCompare(args: string[]): boolean {
  return args.some((a, i) =>
    a.startsWith("--truncations") ||
    (a === "--datasets" && isSequenceDataset(args[i + 1] ?? "")) ||
    (a.startsWith("--datasets=") && isSequenceDataset(a.slice("--datasets=".length)))
  );
}

/** `compare` on a sequence task; resolves to the exit status. */
export async function sequenceCompareCommand(
  args: string[],
  io: { out: (s: string) => void; err: (s: string) => void },
): Promise<number> {
  const values = parseFlags(args, {
    datasets: { type: "string" },
    specs: { type: "string" },
    truncations: { type: "string" },
    steps: { type: "string" },
    "batch-size": { type: "string" },
    seed: { type: "string" },
    seeds: { type: "string" },
    threshold: { type: "string" },
    "sequence-length": { type: "string" },
    "log-every": { type: "string" },
    "data-dir": { type: "string" },
    "train-count": { type: "string" },
    "test-count": { type: "string" },
    out: { type: "string" },
    ...BACKEND_OPTIONS,
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
    ...PLUGIN_OPTION,
  }, "compare");
  if (values.help) {
    io.out(SEQUENCE_COMPARE_USAGE + "\n");
    return 0;
  }
  const dataset = String(values.datasets ?? "");
  if (!isSequenceDataset(dataset)) {
    throw new UsageError(
      `--truncations compares sequence specs: --datasets must be one of ${
        SEQUENCE_DATASETS.join(", ")
      }, got "${dataset}"`,
    );
  }
  if (typeof values.specs !== "string") throw new UsageError("a sequence comparison needs --specs FILES");
  const files = values.specs.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  const truncations = String(values.truncations ?? "full").split(",").map((t) => {
    if (t.trim() === "full") return undefined;
    const n = Number(t);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--truncations: "${t}" is not an integer >= 1 or "full"`);
    return n;
  });
  const flags = sequenceFlags(dataset.startsWith("text:") ? "text" : dataset, values);
  const steps = flags.steps ?? 2000, logEvery = flags.stepsPerEpoch ?? 500;
  const batchSize = intFlag(values, "batch-size", 32, 1);
  const seed = intFlag(values, "seed", 0, 0), seeds = seedsFlag(values, seed);
  const out = typeof values.out === "string" ? values.out : "reports/compare-sequences";
  const json = values.json === true;
  const log = json ? io.err : io.out;
  const backendSays = await applyBackendFlags(backendFlags(values));
  const registries = await pluginRegistries(pluginFlag(values));
  const specs = await Promise.all(files.map(async (file) => ({
    name: file.replace(/^.*\//, "").replace(/\.json$/, ""),
    spec: await readSpec(file),
  })));
  for (const [i, { spec }] of specs.entries()) {
    if (!isSequenceSpec(spec)) {
      throw new UsageError(`${files[i]} is not a sequence spec (input [features], lstm first)`);
    }
  }
  await Deno.mkdir(out, { recursive: true });
  const data = await sequenceData(dataset, values, (m) => io.err(m + "\n"));
  log(backendSays + "\n");
  const task = data.task;
  // One row per truncation and spec, truncation-major; "BPTT" rows are the backprop base of their window.
  const configs = sequenceConfigs(specs, task, truncations);
  const report = await runComparison(configs, {
    steps,
    stepsPerEpoch: logEvery,
    sequence: {
      ...(flags.sequence?.threshold === undefined ? {} : { threshold: flags.sequence.threshold }),
      ...(flags.sequence?.sequenceLength === undefined ? {} : { sequenceLength: flags.sequence.sequenceLength }),
    },
    batchSize,
    seed,
    seeds,
    target: 1,
    registries,
    datasets: { [task]: data },
    onConfigStart: (c, i, total, s) => log(`[${i + 1}/${total}] ${c.name}${seeds.length > 1 ? ` (seed ${s})` : ""}\n`),
    onEpochEnd: (_c, r) => log(`  ${sequenceLine(r, Math.min(r.epoch * logEvery, steps))}\n`),
  });
  report.note = "All runs ran one after another in one process on the same machine, with the same seed, data and " +
    `budget${seeds.length > 1 ? `, once with each of ${seeds.length} seeds` : ""}; speed is against the BPTT row ` +
    "(no interface on the state) of the same window. Training seconds exclude evaluation.";
  const paths = await writeReport(report, out);
  log(`\n${reportMarkdown(report)}\nwrote ${paths.join(", ")}\n`);
  if (json) io.out(JSON.stringify(report) + "\n");
  return 0;
}
