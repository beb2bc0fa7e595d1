/**
 * Learning curves as a small, dependency-free SVG line chart: one line per configuration.
 *
 * @module
 */

/** One line of a chart. */
export interface Series {
  name: string;
  points: [number, number][];
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

// Round tick values (steps of 1, 2 or 5 times a power of ten) covering [lo, hi].
function ticks(lo: number, hi: number, count = 5): number[] {
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

/**
 * Renders line series as an SVG document.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lineChart } from "./svg.ts";
 *
 * const svg = lineChart([{ name: "a", points: [[0, 0.5], [1, 0.9]] }], { title: "t", xLabel: "x", yLabel: "y" });
 * assert.ok(svg.startsWith("<svg"));
 * assert.match(svg, /<polyline/);
 * ```
 */
export function lineChart(
  series: Series[],
  { title, xLabel, yLabel, width = 720, height = 420, unitRange = true }: {
    title: string;
    xLabel: string;
    yLabel: string;
    width?: number;
    height?: number;
    /** Keep the y axis within [0, 1] (accuracies); false for any values >= 0. @default {true} */
    unitRange?: boolean;
  },
): string {
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
  const xMin = 0, xMax = Math.max(...xs, 1e-9);
  let yMin = Math.min(...ys, 1), yMax = Math.max(...ys, 0);
  if (yMax - yMin < 1e-6) yMax = yMin + 1;
  const pad = (yMax - yMin) * 0.05;
  yMin = Math.max(0, yMin - pad);
  yMax = unitRange ? Math.min(1, yMax + pad) : yMax + pad;
  const left = 76, right = 200, top = 40, bottom = 50;
  const plotW = width - left - right, plotH = height - top - bottom;
  const sx = (x: number) => left + ((x - xMin) / (xMax - xMin)) * plotW;
  const sy = (y: number) => top + (1 - (y - yMin) / (yMax - yMin)) * plotH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left + plotW / 2}" y="22" text-anchor="middle" font-size="15">${escape(title)}</text>`,
  ];
  for (const t of ticks(yMin, yMax)) {
    out.push(
      `<line x1="${left}" x2="${left + plotW}" y1="${sy(t)}" y2="${sy(t)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${sy(t) + 4}" text-anchor="end">${
        unitRange ? `${(100 * t).toFixed(1)}%` : String(+t.toPrecision(6))
      }</text>`,
    );
  }
  for (const t of ticks(xMin, xMax)) {
    out.push(
      `<line x1="${sx(t)}" x2="${sx(t)}" y1="${top}" y2="${top + plotH}" stroke="#eee"/>`,
      `<text x="${sx(t)}" y="${top + plotH + 16}" text-anchor="middle">${t}</text>`,
    );
  }
  out.push(
    `<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`,
    `<text x="${left + plotW / 2}" y="${height - 10}" text-anchor="middle">${escape(xLabel)}</text>`,
    `<text transform="translate(14 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${escape(yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(" ");
    out.push(`<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const [x, y] of s.points) {
      out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5" fill="${color}"/>`);
    }
    const ly = top + 10 + i * 20;
    out.push(
      `<line x1="${left + plotW + 14}" x2="${
        left + plotW + 38
      }" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="3"/>`,
      `<text x="${left + plotW + 44}" y="${ly + 4}">${escape(s.name)}</text>`,
    );
  });
  out.push(`</svg>`);
  return out.join("\n");
}

/** One horizontal bar of `barChart`: named segments that add up. */
export interface Bar {
  name: string;
  segments: { label: string; value: number }[];
}

/**
 * Renders stacked horizontal bars as an SVG document (e.g. each pipeline stage's busy and waiting seconds).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { barChart } from "./svg.ts";
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
  { title, xLabel, width = 820 }: { title: string; xLabel: string; width?: number },
): string {
  const left = 300, right = 40, top = 50, rowH = 30, bottom = 60;
  const height = top + bars.length * rowH + bottom;
  const plotW = width - left - right;
  const max = Math.max(...bars.map((b) => b.segments.reduce((s, x) => s + x.value, 0)), 1e-9);
  const labels = [...new Set(bars.flatMap((b) => b.segments.map((s) => s.label)))];
  const color = (label: string) => ["#1f77b4", "#cccccc", "#ff7f0e", "#2ca02c"][labels.indexOf(label) % 4];
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escape(title)}</text>`,
  ];
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    out.push(`<text x="${left - 8}" y="${y + rowH / 2 + 4}" text-anchor="end">${escape(b.name)}</text>`);
    let x = left;
    for (const s of b.segments) {
      const w = (s.value / max) * plotW;
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${
          color(s.label)
        }"/>`,
      );
      if (w > 36) {
        out.push(
          `<text x="${(x + w / 2).toFixed(1)}" y="${y + rowH / 2 + 4}" text-anchor="middle">${
            s.value.toFixed(1)
          }</text>`,
        );
      }
      x += w;
    }
  });
  const axisY = top + bars.length * rowH + 18;
  out.push(`<text x="${left + plotW / 2}" y="${axisY + 20}" text-anchor="middle">${escape(xLabel)}</text>`);
  labels.forEach((label, i) => {
    const x = left + i * 110;
    out.push(
      `<rect x="${x}" y="${axisY - 8}" width="14" height="10" fill="${color(label)}"/>`,
      `<text x="${x + 18}" y="${axisY + 1}">${escape(label)}</text>`,
    );
  });
  out.push(`</svg>`);
  return out.join("\n");
}
