/**
 * `compare` on a sequence task: sequence specs (BPTT against DNI) for a list of truncation windows, into
 * `report.md`, `report.json` and `curves.svg`.
 *
 * @module
 */
import { writeFileAtomic } from "../datasets/files.ts";
import { compareSequences, sequenceMarkdown } from "../recurrent/compare.ts";
import { isSequenceSpec } from "../recurrent/build.ts";
import { lineChart } from "../report/svg.ts";
import { intFlag, parseFlags, UsageError } from "./args.ts";
import { applyBackendFlags, BACKEND_OPTIONS, BACKEND_USAGE, backendFlags } from "./backend_flags.ts";
import { PLUGIN_OPTION, PLUGIN_USAGE, pluginFlag, pluginRegistries } from "./plugins.ts";
import { isSequenceDataset, SEQUENCE_DATASETS, sequenceData, sequenceFlags } from "./sequence_train.ts";
import { sequenceLine } from "./progress.ts";
import { readSpec } from "./train_command.ts";

/** The usage text of `compare` on sequence tasks. */
export const SEQUENCE_COMPARE_USAGE =
  `Usage: deno task compare --datasets TASK --specs FILES --truncations LIST [options]

  --datasets TASK         one of ${SEQUENCE_DATASETS.join(" | ")}
  --specs FILES           comma-separated sequence specs, e.g. examples/copy_lstm_bptt.json,examples/copy_lstm_dni.json
  --truncations LIST      comma-separated windows T, or "full" (full BPTT), e.g. 2,3,5
  --steps N               training steps per run (default 2000)
  --batch-size N          sequences per batch (default 32)
  --seed N                the same for every run (default 0)
  --threshold BITS        copy tasks: the curriculum's threshold in bits per sequence (default 0.15)
  --sequence-length N     text: characters per stream and batch (default 100)
  --log-every N           steps between progress lines (default 500)
  --out DIR               where report.md, report.json and curves.svg go (default reports/compare-sequences)
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
  const seed = intFlag(values, "seed", 0, 0);
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
  const report = await compareSequences(specs, data, {
    truncations,
    steps,
    batchSize,
    seed,
    ...(flags.sequence?.threshold === undefined ? {} : { threshold: flags.sequence.threshold }),
    ...(flags.sequence?.sequenceLength === undefined ? {} : { sequenceLength: flags.sequence.sequenceLength }),
    logEvery,
    registries,
    onRunStart: (name, t, i, total) => log(`[${i + 1}/${total}] ${name}, truncation ${t ?? "full"}\n`),
    onProgress: (r) => log(`  ${sequenceLine(r, Math.min(r.epoch * logEvery, steps))}\n`),
  });
  const markdown = sequenceMarkdown(report);
  const copy = data.task === "copy" || data.task === "repeat-copy";
  const curves = lineChart(
    report.rows.map((r) => ({
      name: `${r.name} T=${r.truncation}`,
      points: r.history.map((h, i): [number, number] => [
        Math.min((i + 1) * logEvery, steps),
        copy ? h.maxSequenceLength ?? 0 : h.errorBits ?? NaN,
      ]),
    })),
    {
      title: `${data.task}: ${copy ? "longest length solved" : "training error (bits)"} against steps`,
      xLabel: "training steps",
      yLabel: copy ? "max sequence length" : "bits",
      unitRange: false,
    },
  );
  const paths: string[] = [];
  for (
    const [name, text] of [["report.md", markdown], ["report.json", JSON.stringify(report, null, 2) + "\n"], [
      "curves.svg",
      curves,
    ]]
  ) {
    const path = `${out}/${name}`;
    await writeFileAtomic(path, new TextEncoder().encode(text!));
    paths.push(path);
  }
  log(`\n${markdown}\nwrote ${paths.join(", ")}\n`);
  if (json) io.out(JSON.stringify(report) + "\n");
  return 0;
}
