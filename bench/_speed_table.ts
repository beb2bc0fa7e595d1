// Private: `deno task speed`'s markdown table: its rows (a case's times per round and its ratios) and their cells.
import { median } from "./_stats.ts";

/** A row of the table. */
export interface Row {
  what: string;
  /** Examples per step, where not `speedTable`'s batch. */
  batch?: number;
  /** Per round: ms per step (for an epoch: its seconds over its batches). */
  ms: number[];
  /** Per round, for an epoch. */
  seconds?: number[];
  vsTorch?: number;
  wasmOverNative?: number;
  /** The GEMM ceiling's time over this time. */
  ceiling?: number;
}

/** The median over the rounds of a[r] / b[r]; undefined without b. */
export const paired = (a: number[], b: number[] | undefined): number | undefined =>
  b === undefined || b.length !== a.length ? undefined : median(a.map((x, r) => x / b[r]!));

const fmt = (x: number) => x.toFixed(2);
const int = (x: number) => Math.round(x).toLocaleString("en-US");
const ratio = (x: number | undefined) => x === undefined || !Number.isFinite(x) ? "—" : `${x.toFixed(2)}x`;
const pct = (x: number | undefined) => x === undefined || !Number.isFinite(x) ? "—" : `${Math.round(100 * x)}%`;

/** The table of `rows` (samples/s from `batch` examples per step, unless a row says otherwise). */
export function speedTable(rows: Row[], batch: number): string {
  const header = [
    "what",
    "ms/step (fastest round)",
    "s/epoch (fastest)",
    "samples/s",
    "time ÷ PyTorch's",
    "wasm time ÷ native time",
    "GEMM ceiling ÷ time",
  ];
  const cells = rows.map((r) => [
    r.what,
    `${fmt(median(r.ms))} (${fmt(Math.min(...r.ms))})`,
    r.seconds ? `${fmt(median(r.seconds))} (${fmt(Math.min(...r.seconds))})` : "—",
    int(1000 * (r.batch ?? batch) / median(r.ms)),
    ratio(r.vsTorch),
    ratio(r.wasmOverNative),
    pct(r.ceiling),
  ]);
  return markdownTable(header, cells);
}

/** A markdown table of `allHead` and `allBody`, leaving out the columns with nothing measured in them ("—"). */
export function markdownTable(allHead: string[], allBody: string[][]): string {
  // Columns with nothing measured in them (e.g. s/epoch with --steps-only) are left out.
  const keep = allHead.map((_, i) => i === 0 || allBody.some((row) => row[i] !== "—"));
  const head = allHead.filter((_, i) => keep[i]);
  const body = allBody.map((row) => row.filter((_, i) => keep[i]));
  const widths = head.map((h, i) => Math.max(h.length, 3, ...body.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(head), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...body.map(line)].join("\n");
}
