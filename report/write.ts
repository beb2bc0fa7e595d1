/**
 * Writes a comparison report to a directory: `report.md`, `report.json`, `curves-time.svg`, `curves-epochs.svg`.
 * Each file is written aside and renamed into place, so an interrupted run leaves no half-written file.
 *
 * @module
 */
import { writeFileAtomic } from "../datasets/files.ts";
import type { ComparisonReport } from "./compare.ts";
import { reportMarkdown } from "./markdown.ts";
import { lineChart } from "./svg.ts";

/** Writes the report's four files into `dir` (created if needed); returns their paths. */
export async function writeReport(report: ComparisonReport, dir: string): Promise<string[]> {
  const encoder = new TextEncoder();
  const byTime = report.results.map((r) => {
    let t = 0;
    return { name: r.name, points: r.epochs.map((e): [number, number] => [t += e.seconds, e.testAccuracy ?? 0]) };
  });
  const byEpoch = report.results.map((r) => ({
    name: r.name,
    points: r.epochs.map((e): [number, number] => [e.epoch, e.testAccuracy ?? 0]),
  }));
  const files: [string, string][] = [
    ["report.md", reportMarkdown(report)],
    ["report.json", JSON.stringify(report, null, 2) + "\n"],
    [
      "curves-time.svg",
      lineChart(byTime, {
        title: "Test accuracy against training time",
        xLabel: "training seconds (evaluation excluded)",
        yLabel: "test accuracy",
      }),
    ],
    [
      "curves-epochs.svg",
      lineChart(byEpoch, { title: "Test accuracy against epochs", xLabel: "epoch", yLabel: "test accuracy" }),
    ],
  ];
  const paths: string[] = [];
  for (const [name, text] of files) {
    const path = `${dir}/${name}`;
    await writeFileAtomic(path, encoder.encode(text));
    paths.push(path);
  }
  return paths;
}
