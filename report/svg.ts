/**
 * Small, dependency-free SVG charts: line charts (learning curves, one line per configuration) and stacked bar
 * charts (where a pipeline stage's time goes). Legible by construction: each series has its own colour _and_ dash
 * pattern (84 distinct pairs), the canvas grows to fit every label (text widths are estimated), both axes have ticks,
 * and one series that runs far beyond the others does not stretch the x axis (it is cut, and its legend says so).
 *
 * @module
 */

/** One line of a chart. */
export interface Series {
  name: string;
  points: [number, number][];
}

/** Twelve colours that stay apart from each other (Tableau's and ColorBrewer's dark tones). */
export const COLORS: readonly string[] = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#ff7f0e",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#17becf",
  "#7f7f7f",
  "#bcbd22",
  "#393b79",
  "#637939",
];
/** Seven dash patterns (`stroke-dasharray`; "" is solid). 7 and 12 share no factor: 84 distinct pairs. */
export const DASHES: readonly string[] = ["", "7 3", "2 2", "9 3 2 3", "4 4", "12 3 2 3 2 3", "1 3"];

/** The colour and dash pattern of series `i`: different for every `i` below 84. */
export function seriesStyle(i: number): { color: string; dash: string } {
  return { color: COLORS[i % COLORS.length]!, dash: DASHES[i % DASHES.length]! };
}

/** The stroke attributes of series `i`, for a `<line>`, `<polyline>` or `<path>`. */
export function strokeOf(i: number, width = 2): string {
  const { color, dash } = seriesStyle(i);
  return `stroke="${color}" stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ""}`;
}

/** Escapes text for SVG. */
export const escapeXml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * About how wide `text` is in a sans-serif font of `size` px (a little over, so that nothing is clipped): narrow
 * letters count 0.3 em, wide ones 0.9 em, capitals 0.7 em, the rest 0.58 em.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { textWidth } from "./svg.ts";
 * assert.ok(textWidth("mnist-fcn3-csg-w2 stage 1 (layers 2-3)") > textWidth("stage 1"));
 * ```
 */
export function textWidth(text: string, size = 12): number {
  let em = 0;
  for (const c of text) {
    em += /[ijlI.,:;|!'"`() \[\]ft]/.test(c) ? 0.3 : /[mwMW@%]/.test(c) ? 0.9 : /[A-Z]/.test(c) ? 0.7 : 0.58;
  }
  return Math.ceil(em * size);
}

/** Round tick values (steps of 1, 2 or 5 times a power of ten) covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

/** A tick's label: no float noise (0.30000000000000004 -> 0.3). */
export const tickLabel = (t: number): string => String(+t.toPrecision(6));

/**
 * Where a line chart's x axis should end: the largest x, unless one series runs more than `factor` times beyond all
 * the others (a slow peer's 500 s beside 60 s runs), then a little past the others' end. Returns the axis' end and
 * the index of the series cut, if one is.
 */
export function xAxisEnd(series: Series[], factor = 3): { xMax: number; cut?: number } {
  const ends = series.map((s) => Math.max(...s.points.map((p) => p[0]), 0));
  const order = ends.map((e, i) => [e, i] as const).sort((a, b) => b[0] - a[0]);
  const [first, second] = order;
  if (first && second && second[0] > 0 && first[0] > factor * second[0]) {
    return { xMax: second[0] * 1.15, cut: first[1] };
  }
  return { xMax: Math.max(first?.[0] ?? 0, 1e-9) };
}

/** Options of `lineChart`. */
export interface LineChartOptions {
  title: string;
  /** The x axis' label, with its unit: "training seconds (evaluation excluded)". */
  xLabel: string;
  /** The y axis' label, with its unit. */
  yLabel: string;
  /** The plot area's width in px (the canvas adds the margins that the labels need). @default {520} */
  width?: number;
  /** The canvas' height in px. @default {420} */
  height?: number;
  /** Keep the y axis within [0, 1] and label it in percent (accuracies); false for any values. @default {true} */
  unitRange?: boolean;
  /** The y axis' range; left out, it fits the values. */
  yRange?: [number, number];
  /** Where the x axis starts. @default {0} */
  xMin?: number;
  /** Cut one series that runs more than this many times past all the others (see `xAxisEnd`). @default {3} */
  outlierFactor?: number;
  /** The unit of x, for the note on a cut series. @default {" s" when `xLabel` says seconds, else ""} */
  xUnit?: string;
  /**
   * Draw series `i` this many px above or below its place, `(i - (n - 1) / 2) · stagger`, so that series with equal
   * values (integer lengths) stay visible side by side; a note under the plot says so. @default {0}
   */
  stagger?: number;
}

/**
 * Renders line series as an SVG document: series `i` in `seriesStyle(i)`, a legend on the right as wide as its
 * longest name, ticks on both axes.
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
export function lineChart(series: Series[], options: LineChartOptions): string {
  const { title, xLabel, yLabel, width = 520, unitRange = true, xMin = 0, stagger = 0 } = options;
  const xUnit = options.xUnit ?? (/seconds/.test(xLabel) ? " s" : "");
  const height = (options.height ?? 420) + (stagger ? 16 : 0);
  const { xMax, cut } = xAxisEnd(series, options.outlierFactor ?? 3);
  const ys = series.flatMap((s) => s.points.filter((p) => p[0] <= xMax).map((p) => p[1])).filter(Number.isFinite);
  let [yMin, yMax] = options.yRange ?? [Math.min(...ys, unitRange ? 1 : Infinity), Math.max(...ys, 0)];
  if (!Number.isFinite(yMin)) yMin = 0;
  if (yMax - yMin < 1e-6) yMax = yMin + 1;
  if (!options.yRange) {
    const pad = (yMax - yMin) * 0.05;
    yMin = yMin >= 0 ? Math.max(0, yMin - pad) : yMin - pad;
    yMax = unitRange ? Math.min(1, yMax + pad) : yMax + pad;
  }
  const yTicks = ticks(yMin, yMax);
  const yText = (t: number) => unitRange ? `${(100 * t).toFixed(1)}%` : tickLabel(t);
  const names = series.map((s, i) => i === cut ? `${s.name} (cut: runs to ${cutEnd(s)}${xUnit})` : s.name);
  const left = 34 + Math.max(...yTicks.map((t) => textWidth(yText(t)))), top = 40, bottom = stagger ? 66 : 50;
  const legendW = 54 + Math.max(0, ...names.map((n) => textWidth(n)));
  const plotW = width, plotH = height - top - bottom;
  const total = Math.max(left + plotW + legendW, textWidth(title, 15) + 20);
  const sx = (x: number) => left + ((x - xMin) / (xMax - xMin)) * plotW;
  const sy = (y: number) => top + (1 - (y - yMin) / (yMax - yMin)) * plotH;
  const shift = (i: number) => (i - (series.length - 1) / 2) * stagger;
  const out: string[] = [
    ...svgHead(total, height, title),
    `<clipPath id="plot"><rect x="${left}" y="${top - 4}" width="${plotW}" height="${plotH + 8}"/></clipPath>`,
  ];
  for (const t of yTicks) {
    const y = sy(t).toFixed(1);
    out.push(
      `<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>`,
      `<line x1="${left - 5}" x2="${left}" y1="${y}" y2="${y}" stroke="#333"/>`,
      `<text x="${left - 8}" y="${+y + 4}" text-anchor="end">${yText(t)}</text>`,
    );
  }
  for (const t of ticks(xMin, xMax)) {
    const x = sx(t).toFixed(1);
    out.push(
      `<line x1="${x}" x2="${x}" y1="${top}" y2="${top + plotH}" stroke="#eee"/>`,
      `<line x1="${x}" x2="${x}" y1="${top + plotH}" y2="${top + plotH + 5}" stroke="#333"/>`,
      `<text x="${x}" y="${top + plotH + 18}" text-anchor="middle">${tickLabel(t)}</text>`,
    );
  }
  out.push(
    `<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`,
    `<text x="${left + plotW / 2}" y="${top + plotH + 38}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text transform="translate(14 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`,
  );
  if (stagger) {
    out.push(
      `<text x="${left}" y="${height - 8}" font-size="11" fill="#555">${
        escapeXml(`Lines with equal values are drawn ${stagger} px apart so that each stays visible.`)
      }</text>`,
    );
  }
  series.forEach((s, i) => {
    const { color } = seriesStyle(i);
    const at = ([x, y]: [number, number]) => [sx(x).toFixed(1), (sy(y) + shift(i)).toFixed(1)] as const;
    const shown = s.points.filter(([x, y]) => x <= xMax && Number.isFinite(y));
    // A cut series is drawn up to the axis' end (clipped), and its legend says how far it goes.
    const drawn = i === cut ? s.points.filter(([, y]) => Number.isFinite(y)) : shown;
    const line = drawn.map((p) => at(p).join(",")).join(" ");
    out.push(`<polyline points="${line}" fill="none" ${strokeOf(i)} clip-path="url(#plot)"/>`);
    for (const p of shown) {
      const [cx, cy] = at(p);
      out.push(`<circle cx="${cx}" cy="${cy}" r="2.5" fill="${color}"/>`);
    }
    const ly = top + 10 + i * 20;
    out.push(
      `<line x1="${left + plotW + 14}" x2="${left + plotW + 46}" y1="${ly}" y2="${ly}" ${strokeOf(i, 2.5)}/>`,
      `<text x="${left + plotW + 52}" y="${ly + 4}">${escapeXml(names[i]!)}</text>`,
    );
  });
  out.push(`</svg>`);
  return out.join("\n");
}

/** The opening of a chart: the svg element, a white background and the title centred on top. */
export function svgHead(total: number, height: number, title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${total}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${total / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
  ];
}

const cutEnd = (s: Series) => tickLabel(Math.round(Math.max(...s.points.map((p) => p[0]))));
