// Private to tests/docs_numbers_test.ts: where the numbers the docs quote come from, read as the pages show them: a
// committed report's tables and JSON, the tables a page shows under the command that measured them, a figure's data.
import assert from "node:assert/strict";

export const root = new URL("../", import.meta.url);
export const read = (path: string) => Deno.readTextFile(new URL(path, root));
export const squash = (text: string) => text.replace(/\s+/g, " ");

/** The rows of the first Markdown table in `text` whose header has `column`: cells by header name. */
export function tableWith(text: string, column: string): Record<string, string>[] {
  const lines = text.split("\n");
  const cells = (line: string) => line.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim());
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i]!.trim().startsWith("|") || !cells(lines[i]!).includes(column)) continue;
    const header = cells(lines[i]!), rows: Record<string, string>[] = [];
    for (let j = i + 2; j < lines.length && lines[j]!.trim().startsWith("|"); j++) {
      const row = cells(lines[j]!);
      rows.push(Object.fromEntries(header.map((h, k) => [h, row[k] ?? ""])));
    }
    return rows;
  }
  throw new Error(`no table with a column "${column}"`);
}

/** The cell of the row whose `key` column starts with `label` (the first such row). */
export function cell(rows: Record<string, string>[], key: string, label: string, column: string): string {
  const row = rows.find((r) => r[key]!.startsWith(label));
  if (row === undefined) throw new Error(`no row "${label}" in column "${key}"`);
  if (!(column in row)) throw new Error(`no column "${column}"`);
  return row[column]!;
}

/** The first number in a cell ("3.47 (3.06)" -> "3.47", "19.1 (3.01x)" with `/\((.*)\)/` -> "3.01x"). */
export const first = (text: string, pattern = /-?[\d.,]+%?x?/) => {
  const m = text.match(pattern);
  if (m === null) throw new Error(`no number in "${text}"`);
  return m[1] ?? m[0];
};

// A row of a committed comparison report's "Measurements" table.
export async function report(dir: string, config: string, column: string): Promise<string> {
  return cell(tableWith(await read(`docs/${dir}/report.md`), "configuration"), "configuration", config, column);
}

// The speed table of docs/results.md (`deno task speed`): a case's median ms per step, or its ratio to PyTorch.
export async function speed(label: string, column = "ms/step (fastest round)"): Promise<string> {
  return first(cell(tableWith(await read("docs/results.md"), "time ÷ PyTorch's"), "what", label, column));
}

// The simulator's table in docs/simulator.md: the speedup of `model` on `hosts` hosts over `link`.
export async function simulated(model: string, hosts: string, link: string): Promise<string> {
  const rows = tableWith(await read("docs/simulator.md"), "hosts");
  const at = rows.findIndex((r) => r[Object.keys(r)[0]!]!.startsWith(model));
  if (at < 0) throw new Error(`no model "${model}" in the simulator's table`);
  const key = Object.keys(rows[0]!)[0]!;
  for (let i = at; i < rows.length && (i === at || rows[i]![key] === ""); i++) {
    if (rows[i]!.hosts === hosts) return first(rows[i]![link]!, /\(([\d.]+x)\)/);
  }
  throw new Error(`no row for ${hosts} hosts under "${model}"`);
}

// The race's repeated runs in docs/race.md: how many of them `cut2` on 2 Workers won, of how many, the median ratio
// and its range.
export async function race(): Promise<string[]> {
  const column = "`cut2` on 2 Workers vs backprop";
  const ratios = tableWith(await read("docs/race.md"), column).map((r) => Number(first(r[column]!, /([\d.]+)x/)));
  const sorted = [...ratios].sort((a, b) => a - b), mid = sorted[(sorted.length - 1) / 2]!;
  assert.equal(sorted.length % 2, 1, "an odd number of runs, for one median");
  return [ratios.filter((r) => r > 1).length, ratios.length, mid, sorted[0]!, sorted.at(-1)!].map((n, i) =>
    i < 2 ? String(n) : n.toFixed(2)
  );
}

// deno-lint-ignore no-explicit-any
export type Json = any;

// A committed report's JSON.
export async function reportJson(dir: string): Promise<Json> {
  return JSON.parse(await read(`${dir}/report.json`));
}

// A figure's data (docs/figures/NAME.json, what `deno task figures` drew).
export async function figure(name: string): Promise<Json> {
  return JSON.parse(await read(`docs/figures/${name}.json`));
}

// The "Across seeds" table of a reproduction report, as lines (a page copies it whole).
export async function acrossSeeds(dir: string): Promise<string> {
  const text = await read(`${dir}/report.md`);
  const section = text.slice(text.indexOf("## Across seeds") + 1);
  const table = section.slice(0, section.indexOf("\n## ")).split("\n").filter((l) => l.startsWith("|"));
  if (table.length < 3) throw new Error(`${dir}/report.md has no "Across seeds" table`);
  return table.join("\n");
}

export const fixed = (digits: number) => (x: number) => x.toFixed(digits);
