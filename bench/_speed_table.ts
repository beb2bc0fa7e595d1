// Private: `deno task speed`'s markdown table.

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
