/**
 * Re-draws the committed report SVGs under `docs/<report>/` from their `report.json`, with the current chart code
 * (`../report/svg.ts`), without re-running anything: a comparison report through `writeReport` itself (into a
 * scratch folder, from which only the SVGs that the folder already has are copied back: its `report.md` and
 * `report.json` stay as they are), a copy-task report (`rows` of `history`) as `curves.svg`.
 *
 * Run: `deno run --allow-read --allow-write figures/rerender_reports.ts`
 *
 * @module
 */
import type { ComparisonReport } from "../report/compare.ts";
import { lineChart } from "../report/svg.ts";
import { writeReport } from "../report/write.ts";

/** A copy-task report (`docs/copy-lstm/report.json`): one row per method and truncation. */
export interface CopyReport {
  task: string;
  steps: number;
  seed: number;
  rows: {
    method: string;
    truncation: number;
    maxSequenceLength: number;
    history: { step: number; maxSequenceLength: number }[];
  }[];
}

/** A copy-task report's `curves.svg`: the longest length solved against steps, one line per method and window. */
export function copyCurves(report: CopyReport): string {
  const series = report.rows.map((r) => ({
    name: `${r.method}, T = ${r.truncation}`,
    points: r.history.map((h): [number, number] => [h.step, h.maxSequenceLength]),
  }));
  return lineChart(series, {
    title: `${report.task}: longest sequence length solved against training steps (seed ${report.seed})`,
    xLabel: "training steps (batches of 32 sequences)",
    yLabel: "longest length solved (steps of the pattern)",
    unitRange: false,
    stagger: 3,
  });
}

/** Re-draws the SVGs of every report folder under `docs`; returns the paths written. */
export async function rerenderReports(docs = "docs"): Promise<string[]> {
  const written: string[] = [];
  for (const entry of [...Deno.readDirSync(docs)].sort((a, b) => a.name.localeCompare(b.name))) {
    const dir = `${docs}/${entry.name}`;
    let report: ComparisonReport | CopyReport;
    try {
      report = JSON.parse(await Deno.readTextFile(`${dir}/report.json`));
    } catch {
      continue; // not a report folder
    }
    const had = new Set([...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".svg")));
    if ("rows" in report) {
      await Deno.writeTextFile(`${dir}/curves.svg`, copyCurves(report) + "\n");
      written.push(`${dir}/curves.svg`);
      continue;
    }
    const scratch = await Deno.makeTempDir();
    for (const path of await writeReport(report, scratch)) {
      const name = path.slice(scratch.length + 1);
      if (!had.has(name)) continue;
      await Deno.copyFile(path, `${dir}/${name}`);
      written.push(`${dir}/${name}`);
    }
    await Deno.remove(scratch, { recursive: true });
  }
  return written;
}

if (import.meta.main) console.log((await rerenderReports()).join("\n"));
