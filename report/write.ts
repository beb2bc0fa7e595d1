/**
 * Writes a comparison report to a directory: `report.md`, `report.json`, `curves-time.svg`, `curves-epochs.svg`,
 * and, when some rows ran as a pipeline, `stages.svg` (each stage's busy and waiting seconds).
 * Each file is written aside and renamed into place, so an interrupted run leaves no half-written file.
 *
 * @module
 */
import { writeFileAtomic } from "../datasets/files.ts";
import type { ComparisonReport } from "./compare.ts";
import type { EpochRecord } from "../training/history.ts";
import { reportMarkdown } from "./markdown.ts";
import { lineChart } from "./svg.ts";
import { barChart } from "./svg_bars.ts";

/** Writes the report's four files into `dir` (created if needed); returns their paths. */
export async function writeReport(report: ComparisonReport, dir: string): Promise<string[]> {
  const encoder = new TextEncoder();
  // What the curves show: test accuracy, or a sequence task's measure (longest length solved, validation bits).
  const first = report.results[0]?.sequence;
  const [measure, label]: [(e: EpochRecord) => number, string] = first?.maxSequenceLength !== undefined
    ? [(e) => e.maxSequenceLength ?? 0, "longest length solved"]
    : first?.bitsPerChar !== undefined
    ? [(e) => e.validationBits ?? NaN, "validation bits per character"]
    : [(e) => e.testAccuracy ?? 0, "test accuracy"];
  const nameOf = (r: ComparisonReport["results"][number]) =>
    report.options.seeds ? `${r.name} (seed ${r.seed})` : r.name;
  const byTime = report.results.map((r) => {
    let t = 0;
    return { name: nameOf(r), points: r.epochs.map((e): [number, number] => [t += e.seconds, measure(e)]) };
  });
  const byEpoch = report.results.map((r) => ({
    name: nameOf(r),
    points: r.epochs.map((e): [number, number] => [e.epoch, measure(e)]),
  }));
  const unit = label === "test accuracy" ? {} : { unitRange: false };
  const files: [string, string][] = [
    ["report.md", reportMarkdown(report)],
    ["report.json", JSON.stringify(report, null, 2) + "\n"],
    [
      "curves-time.svg",
      lineChart(byTime, {
        title: `${label[0]!.toUpperCase()}${label.slice(1)} against training time`,
        xLabel: "training seconds (evaluation excluded)",
        yLabel: label,
        ...unit,
      }),
    ],
    [
      "curves-epochs.svg",
      lineChart(byEpoch, {
        title: `${label[0]!.toUpperCase()}${label.slice(1)} against epochs`,
        xLabel: "epoch",
        yLabel: label,
        ...unit,
      }),
    ],
  ];
  const piped = report.results.filter((r) => r.epochs.some((e) => e.stages));
  if (piped.length > 0) {
    const bars = piped.flatMap((r) =>
      (r.epochs[r.epochs.length - 1]!.stages ?? []).map((st, k) => ({
        name: `${nameOf(r)} stage ${k} (layers ${st.lo}-${st.hi})`,
        segments: [{ label: "busy", value: st.busySeconds }, { label: "waiting", value: st.waitSeconds }],
      }))
    );
    files.push([
      "stages.svg",
      barChart(bars, { title: "Where a pipeline epoch's time goes, per stage (last epoch)", xLabel: "seconds" }),
    ]);
  }
  const paths: string[] = [];
  for (const [name, text] of files) {
    const path = `${dir}/${name}`;
    await writeFileAtomic(path, encoder.encode(text));
    paths.push(path);
  }
  return paths;
}
