/**
 * The comparison report as Markdown: the machine, the settings, a conclusion computed from the numbers, and one
 * table row per configuration.
 *
 * @module
 */
import type { ComparisonReport, ConfigResult } from "./compare.ts";
import { seedConclusion, seedTable } from "./markdown_seeds.ts";

const pct = (x: number | null | undefined) => x == null || Number.isNaN(x) ? "-" : `${(100 * x).toFixed(2)}%`;
const num = (x: number | null | undefined, digits = 1) => x == null || Number.isNaN(x) ? "-" : x.toFixed(digits);

/** Renders the report as Markdown. */
export function reportMarkdown(report: ComparisonReport): string {
  if (report.results.some((r) => r.sequence)) return sequenceReportMarkdown(report);
  const { machine: m, options: o } = report;
  const lines = [
    `# dni comparison report`,
    ``,
    `${report.createdAt}. Machine: ${m.cpuModel}, ${m.cpus} logical CPUs${
      m.memoryGiB ? `, ${m.memoryGiB} GiB` : ""
    }, ` +
    `${m.os}/${m.arch}. Deno ${m.deno} (V8 ${m.v8}), TF.js ${m.tfjs}, backend ${m.backend} (tfjs-backend-wasm ${m.wasm}).`,
    ``,
    `Settings: ${o.epochs} epochs, batch ${o.batchSize}, ${seedsText(report)}, ${o.trainCount} training and ` +
    `${o.testCount} test examples, target test accuracy ${pct(o.target)}.`,
    ``,
    report.note,
    ``,
    ...(report.spread ? [...seedConclusion(report), ...seedTable(report)] : conclusion(report)),
    `## Measurements`,
    ``,
    `| configuration | s/epoch | samples/s | speed vs backprop | time to ${pct(o.target)} | epochs to ${
      pct(o.target)
    } ` +
    `| final test acc | final test loss | cosine to true gradient (per layer) |`,
    `|---|---|---|---|---|---|---|---|---|`,
  ];
  for (const r of report.results) {
    const cos = r.diagnostics.length
      ? r.diagnostics.map((d) => num(d.cosine as number | undefined, 2)).join(" / ")
      : "-";
    lines.push(
      `| ${runName(report, r)} | ${num(r.secondsPerEpoch)} | ${Math.round(r.samplesPerSecond)} | ${
        r.speedVsBackprop == null ? "-" : `${r.speedVsBackprop.toFixed(2)}x`
      } | ${r.secondsToTarget == null ? "not reached" : `${num(r.secondsToTarget)} s`} | ${r.epochsToTarget ?? "-"} | ${
        pct(r.testAccuracy)
      } | ${num(r.testLoss, 4)} | ${cos} |`,
    );
  }
  const piped = report.results.filter((r) => r.epochs.some((e) => e.stages));
  if (piped.length > 0) {
    lines.push(
      ``,
      `Pipeline stages (last epoch; busy = computing, waiting = nothing it was allowed to do):`,
      ``,
      `| configuration | stage | layers | estimated cost (MACs/example) | busy s | waiting s | staleness reached | ` +
        `message product |`,
      `|---|---|---|---|---|---|---|---|`,
    );
    for (const r of piped) {
      const stages = r.epochs[r.epochs.length - 1]!.stages ?? [];
      stages.forEach((st, k) =>
        lines.push(
          `| ${runName(report, r)} | ${k} | ${st.lo}-${st.hi} | ${st.cost} | ${num(st.busySeconds)} | ${
            num(st.waitSeconds)
          } | ${st.maxStaleness} | ${k === 0 ? "-" : st.messageBelow ? "in the stage below" : "here"} |`,
        )
      );
    }
    lines.push(
      ``,
      `Message product: where the last product of a stage's message (the input gradient of its first layer, ` +
        `dz x W^T) is taken; the planner moves it to the stage below when that balances the estimated costs.`,
    );
  }
  lines.push(...memoryTable(report));
  lines.push(
    ``,
    `Time to target counts training seconds (evaluation excluded) up to the end of the first epoch whose test ` +
      `accuracy reached the target. Learning curves: \`curves-time.svg\` (test accuracy against training seconds) ` +
      `and \`curves-epochs.svg\` (against epochs). Everything is in \`report.json\`.`,
    ``,
  );
  return lines.join("\n");
}

/**
 * The report's conclusion, computed from its numbers: for each dataset and depth, the fastest configuration
 * (samples/s), the first to the target test accuracy, and the best final test accuracy, each against the
 * one-thread backprop row of the same dataset and depth.
 */
export function conclusion(report: ComparisonReport): string[] {
  const target = pct(report.options.target);
  const groups = new Map<string, ConfigResult[]>();
  for (const r of report.results) {
    const key = `${r.dataset}, ${r.depth} hidden layers`;
    groups.set(key, [...groups.get(key) ?? [], r]);
  }
  const lines = [`## Conclusion`, ``];
  for (const [key, rows] of groups) {
    const base = rows.find((r) => r.interface === "backprop" && r.workers === 1);
    const vs = (r: ConfigResult, text: (base: ConfigResult) => string) =>
      r === base ? "(backprop itself)" : base ? text(base) : "";
    if (groups.size > 1) lines.push(`${key}:`, ``);
    const fastest = best(rows, (r) => r.samplesPerSecond);
    lines.push(
      `- **Fastest**: ${fastest.name}, ${Math.round(fastest.samplesPerSecond)} samples/s ` +
        vs(
          fastest,
          (b) =>
            `(${ratio(fastest.samplesPerSecond / b.samplesPerSecond)} backprop's ${Math.round(b.samplesPerSecond)})`,
        ) + ".",
    );
    const reached = rows.filter((r) => r.secondsToTarget != null);
    if (reached.length === 0) lines.push(`- **To ${target} test accuracy**: no configuration reached it.`);
    else {
      const first = best(reached, (r) => -r.secondsToTarget!);
      const baseTime = base?.secondsToTarget;
      lines.push(
        `- **First to ${target} test accuracy**: ${first.name}, in ${num(first.secondsToTarget)} s of training ` +
          `(${first.epochsToTarget} epoch${first.epochsToTarget === 1 ? "" : "s"}) ` +
          vs(
            first,
            () =>
              baseTime == null
                ? "(backprop did not reach it)"
                : `(backprop: ${num(baseTime)} s, ${ratio(baseTime / first.secondsToTarget!)} as fast)`,
          ) + ".",
      );
    }
    const accurate = best(rows, (r) => r.testAccuracy);
    lines.push(
      `- **Best final test accuracy**: ${accurate.name}, ${pct(accurate.testAccuracy)} ` +
        vs(accurate, (b) => {
          const points = (100 * (accurate.testAccuracy - b.testAccuracy)).toFixed(2);
          return `(${points.startsWith("-") ? points : `+${points}`} points against backprop's ${pct(b.testAccuracy)})`;
        }) + ".",
      ``,
    );
  }
  return lines.map((l) => l.replace(/ \.$/, "."));
}

/**
 * A comparison on a sequence task as Markdown: the same header, then one row per configuration and truncation
 * window with the task's measure (longest length solved, validation bits per character, test accuracy), the speed
 * against BPTT at the same window, and the last cosine of a synthetic gradient on a recurrent state to the true one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reportMarkdown } from "./markdown.ts";
 * const row = (name: string, iface: string, length: number) => ({
 *   name, interface: iface, depth: 1, dataset: "copy", workers: 1, epochs: [], secondsPerEpoch: 1,
 *   samplesPerSecond: 100, speedVsBackprop: 1, secondsToTarget: null, epochsToTarget: null, testAccuracy: NaN,
 *   testLoss: NaN, diagnostics: [], truncation: 3, sequence: { maxSequenceLength: length },
 * });
 * const md = reportMarkdown({
 *   createdAt: "now", note: "", results: [row("bptt", "backprop", 2), row("dni", "sg", 4)],
 *   machine: { cpuModel: "cpu", cpus: 2, memoryGiB: 8, os: "linux", arch: "x64", deno: "2", v8: "13", tfjs: "4", backend: "wasm", wasm: "4" },
 *   options: { epochs: 0, steps: 10, batchSize: 4, seed: 0, target: 0, trainCount: 0, testCount: 0, staleness: 1 },
 * });
 * assert.match(md, /\| dni \| 3 \| 4 \|/);
 * ```
 */
export function sequenceReportMarkdown(report: ComparisonReport): string {
  const { machine: m, options: o } = report;
  const task = report.results[0]!.dataset;
  const measure = (r: ConfigResult) =>
    r.sequence?.maxSequenceLength !== undefined
      ? String(r.sequence.maxSequenceLength)
      : r.sequence?.bitsPerChar !== undefined
      ? r.sequence.bitsPerChar.toFixed(3)
      : pct(r.sequence?.testAccuracy);
  const what = task === "seq-mnist"
    ? "test accuracy"
    : task.startsWith("text") || report.results[0]!.sequence?.bitsPerChar !== undefined
    ? "validation bits per character (lower is better)"
    : "longest pattern length solved (higher is better)";
  const cosine = (r: ConfigResult) => num(r.diagnostics.find((d) => d.on === "state")?.cosine as number, 3);
  return [
    `# dni comparison report: ${task}`,
    ``,
    `${report.createdAt}. Machine: ${m.cpuModel}, ${m.cpus} logical CPUs, ${m.os}/${m.arch}. Deno ${m.deno}, ` +
    `TF.js ${m.tfjs}, backend ${m.backend}.`,
    ``,
    `Settings: ${o.steps ?? "-"} steps per run, batch ${o.batchSize}, ${seedsText(report)}. Measure: ${what}.`,
    ``,
    report.note,
    ``,
    ...seedConclusion(report),
    ...seedTable(report),
    ...(report.spread ? [`## Runs`, ``] : []),
    `| configuration | T | measure | s/epoch | sequences/s | speed vs BPTT | last synthetic-gradient cosine (state) |`,
    `|---|---|---|---|---|---|---|`,
    ...report.results.map((r) =>
      `| ${runName(report, r)} | ${r.truncation ?? "-"} | ${measure(r)} | ${num(r.secondsPerEpoch)} | ${
        Math.round(r.samplesPerSecond)
      } | ${r.speedVsBackprop == null ? "-" : `${r.speedVsBackprop.toFixed(2)}x`} | ${cosine(r)} |`
    ),
    ``,
    `Curves: \`curves-time.svg\` and \`curves-epochs.svg\` (the measure after each epoch). Everything is in ` +
    `\`report.json\`.`,
    ``,
  ].join("\n");
}

// "seed 0", or "seeds 0, 1, 2" where every row ran with each.
const seedsText = (report: ComparisonReport) =>
  report.options.seeds ? `seeds ${report.options.seeds.join(", ")}` : `seed ${report.options.seed}`;

// A run's name in the per-run tables: with its seed where rows ran with several.
const runName = (report: ComparisonReport, r: ConfigResult) =>
  report.options.seeds ? `${r.name} (seed ${r.seed})` : r.name;

// The row with the largest `score`; the first of equals.
function best(rows: ConfigResult[], score: (r: ConfigResult) => number): ConfigResult {
  return rows.reduce((a, b) => score(b) > score(a) ? b : a);
}

const ratio = (x: number) => `${x.toFixed(2)}x`;

// Memory after the first and the last epoch of each configuration (and the largest resident set in between), to
// show whether anything grows over a long run.
function memoryTable(report: ComparisonReport): string[] {
  const rows = report.results.filter((r) => r.epochs.every((e) => e.memory));
  if (rows.length === 0) return [];
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  const lines = [
    ``,
    `Memory after each epoch (first / last; live TF.js tensors of the main thread, their MiB, and the process's ` +
    `resident set in MiB, with its largest value over the run):`,
    ``,
    `| configuration | epochs | tensors | tensor MiB | RSS MiB (largest) |`,
    `|---|---|---|---|---|`,
  ];
  for (const r of rows) {
    const first = r.epochs[0]!.memory!, last = r.epochs[r.epochs.length - 1]!.memory!;
    const largest = Math.max(...r.epochs.map((e) => e.memory!.rssBytes));
    lines.push(
      `| ${runName(report, r)} | ${r.epochs.length} | ${first.tensors} / ${last.tensors} | ${mib(first.bytes)} / ${
        mib(last.bytes)
      } | ${mib(first.rssBytes)} / ${mib(last.rssBytes)} (${mib(largest)}) |`,
    );
  }
  return lines;
}
