/**
 * Stacked horizontal bars as SVG (the pipeline stages' busy and waiting seconds of a comparison report), on svg.ts's
 * ticks, text widths and chart opening.
 *
 * @module
 */
import { escapeXml, svgHead, textWidth, tickLabel, ticks } from "./svg.ts";

/** One horizontal bar of `barChart`: named segments that add up. */
export interface Bar {
  name: string;
  segments: { label: string; value: number }[];
}

/** Fills of `barChart`'s segments, by label in order of appearance: busy dark, waiting light grey. */
const BAR_FILLS = ["#1f77b4", "#cccccc", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"];

/**
 * Renders stacked horizontal bars as an SVG document (e.g. each pipeline stage's busy and waiting seconds), with a
 * scale of ticks under them in `xLabel`'s unit, a legend, and room on the left for the longest bar name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { barChart } from "./svg_bars.ts";
 *
 * const svg = barChart([{ name: "stage 0", segments: [{ label: "busy", value: 3 }, { label: "waiting", value: 1 }] }], {
 *   title: "t",
 *   xLabel: "s",
 * });
 * assert.match(svg, /<rect/);
 * assert.match(svg, /stage 0/);
 * ```
 */
export function barChart(
  bars: Bar[],
  { title, xLabel, width = 460 }: { title: string; xLabel: string; /** The bars' width in px. */ width?: number },
): string {
  const left = 16 + Math.max(0, ...bars.map((b) => textWidth(b.name))), right = 30, top = 44, rowH = 30;
  const plotW = width;
  const max = Math.max(...bars.map((b) => b.segments.reduce((s, x) => s + x.value, 0)), 1e-9);
  const scale = ticks(0, max);
  const end = Math.max(max, scale.at(-1)!);
  const labels = [...new Set(bars.flatMap((b) => b.segments.map((s) => s.label)))];
  const fill = (label: string) => BAR_FILLS[labels.indexOf(label) % BAR_FILLS.length];
  const axisY = top + bars.length * rowH + 4;
  const legendY = axisY + 56;
  const legendW = labels.reduce((w, l) => w + 30 + textWidth(l), 0);
  const total = Math.max(left + plotW + right, textWidth(title, 15) + 20, left + legendW);
  const height = legendY + 24;
  const sx = (v: number) => left + (v / end) * plotW;
  const out = svgHead(total, height, title);
  for (const t of scale) {
    const x = sx(t).toFixed(1);
    out.push(
      `<line x1="${x}" x2="${x}" y1="${top}" y2="${axisY}" stroke="#e4e4e4"/>`,
      `<line x1="${x}" x2="${x}" y1="${axisY}" y2="${axisY + 5}" stroke="#333"/>`,
      `<text x="${x}" y="${axisY + 18}" text-anchor="middle">${tickLabel(t)}</text>`,
    );
  }
  out.push(`<line x1="${left}" x2="${left + plotW}" y1="${axisY}" y2="${axisY}" stroke="#333"/>`);
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    out.push(`<text x="${left - 8}" y="${y + rowH / 2 + 4}" text-anchor="end">${escapeXml(b.name)}</text>`);
    let v = 0;
    for (const s of b.segments) {
      const x = sx(v), w = sx(v + s.value) - x;
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${fill(s.label)}"/>`,
      );
      const text = tickLabel(+s.value.toPrecision(3));
      if (w > textWidth(text) + 6) {
        out.push(`<text x="${(x + w / 2).toFixed(1)}" y="${y + rowH / 2 + 4}" text-anchor="middle">${text}</text>`);
      }
      v += s.value;
    }
  });
  out.push(`<text x="${left + plotW / 2}" y="${axisY + 38}" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  let lx = left;
  for (const label of labels) {
    out.push(
      `<rect x="${lx}" y="${legendY - 9}" width="14" height="10" fill="${fill(label)}"/>`,
      `<text x="${lx + 18}" y="${legendY}">${escapeXml(label)}</text>`,
    );
    lx += 30 + textWidth(label);
  }
  out.push(`</svg>`);
  return out.join("\n");
}
