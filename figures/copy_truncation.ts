/**
 * Figure (e), `copy-truncation`: on the copy and repeat-copy tasks, the longest sequence an LSTM learned to copy in
 * 20,000 steps against the truncation window T, for truncated BPTT and for a synthetic gradient on the state at each
 * window's end (`sg`). The data come from the committed reports `docs/copy-lstm/report.json` and
 * `docs/repeat-copy-lstm/report.json` (nothing is re-run: each took 4-9 minutes a row).
 *
 * @module
 */
import { lineChart } from "../report/svg.ts";
import type { CopyReport } from "./rerender_reports.ts";

/** What figure (e) drew: per task and method, the longest length solved at each window. */
export interface CopyTruncationData {
  steps: number;
  seed: number;
  sources: string[];
  series: { task: string; method: string; truncation: number[]; longest: number[] }[];
}

/** Reads the two copy-task reports into figure (e)'s data. */
export async function copyTruncationData(
  sources = ["docs/copy-lstm/report.json", "docs/repeat-copy-lstm/report.json"],
): Promise<CopyTruncationData> {
  const reports: CopyReport[] = await Promise.all(sources.map(async (s) => JSON.parse(await Deno.readTextFile(s))));
  const series: CopyTruncationData["series"] = [];
  for (const r of reports) {
    for (const method of [...new Set(r.rows.map((row) => row.method))]) {
      const rows = r.rows.filter((row) => row.method === method).sort((a, b) => a.truncation - b.truncation);
      series.push({
        task: r.task,
        method,
        truncation: rows.map((row) => row.truncation),
        longest: rows.map((row) => row.maxSequenceLength),
      });
    }
  }
  return { steps: reports[0]!.steps, seed: reports[0]!.seed, sources, series };
}

/** Draws figure (e) from its data. */
export function copyTruncationFigure(data: CopyTruncationData): string {
  return lineChart(
    data.series.map((s) => ({
      name: `${s.task}, ${s.method === "BPTT" ? "truncated BPTT" : `${s.method} on the state`}`,
      points: s.truncation.map((t, k): [number, number] => [t, s.longest[k]!]),
    })),
    {
      title: `Longest sequence solved against the truncation window (${data.steps} steps, seed ${data.seed})`,
      xLabel: "truncation window T (steps)",
      yLabel: "longest length solved (steps of the pattern)",
      unitRange: false,
      yRange: [0, 6],
      xMin: 0,
      width: 420,
      stagger: 3,
    },
  );
}
