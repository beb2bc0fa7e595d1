/// <reference lib="dom" />
/**
 * The playground's drawing on canvases: line charts, and the timeline of a recorded step.
 *
 * @module
 */
import { spanColors, type StepRecord } from "./timeline.ts";

/** A line of a chart. */
export interface Series {
  /** Its name, in the legend. */
  name: string;
  /** Its colour. */
  color: string;
  /** Its points, by step. */
  points: { step: number; value: number }[];
  /** Which axis it is read on. */
  axis: "left" | "right";
}

/** The axes of a chart. */
export interface Axes {
  /** The x axis runs from step 0 to `steps`. */
  steps: number;
  /** The left axis' range. */
  left: [number, number];
  /** The right axis' range, if any. */
  right: [number, number] | undefined;
  /** What to write on a chart without lines. */
  empty?: string;
}

const PAD = { left: 44, right: 44, top: 22, bottom: 22 };

function context(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const ratio = globalThis.devicePixelRatio || 1;
  const width = canvas.clientWidth, height = canvas.clientHeight;
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const g = canvas.getContext("2d")!;
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  g.font = "11px system-ui, sans-serif";
  return g;
}

/** Draws `series` on `canvas`, with a legend. */
export function drawLines(canvas: HTMLCanvasElement, series: Series[], axes: Axes): void {
  const g = context(canvas);
  const w = canvas.clientWidth - PAD.left - PAD.right, h = canvas.clientHeight - PAD.top - PAD.bottom;
  const x = (step: number) => PAD.left + (w * step) / Math.max(axes.steps, 1);
  const y = (v: number, [lo, hi]: [number, number]) => PAD.top + h - (h * (v - lo)) / (hi - lo || 1);
  g.strokeStyle = "#ccc";
  g.strokeRect(PAD.left, PAD.top, w, h);
  g.fillStyle = "#555";
  g.textAlign = "right";
  for (const v of [axes.left[0], (axes.left[0] + axes.left[1]) / 2, axes.left[1]]) {
    g.fillText(v.toFixed(2), PAD.left - 4, y(v, axes.left) + 4);
  }
  if (axes.right) {
    g.textAlign = "left";
    for (const v of [axes.right[0], (axes.right[0] + axes.right[1]) / 2, axes.right[1]]) {
      g.fillText(v.toFixed(2), PAD.left + w + 4, y(v, axes.right) + 4);
    }
  }
  g.textAlign = "center";
  g.fillText(`step ${axes.steps}`, PAD.left + w - 20, PAD.top + h + 15);
  g.fillText("0", PAD.left, PAD.top + h + 15);
  if (series.length === 0 && axes.empty) g.fillText(axes.empty, PAD.left + w / 2, PAD.top + h / 2);
  let legend = PAD.left;
  for (const s of series) {
    const range = s.axis === "left" ? axes.left : axes.right ?? axes.left;
    g.strokeStyle = s.color;
    g.lineWidth = 1.5;
    g.beginPath();
    s.points.forEach((p, i) =>
      i === 0 ? g.moveTo(x(p.step), y(p.value, range)) : g.lineTo(x(p.step), y(p.value, range))
    );
    g.stroke();
    const last = s.points[s.points.length - 1];
    g.fillStyle = s.color;
    g.textAlign = "left";
    const label = last === undefined ? s.name : `${s.name}: ${last.value.toFixed(3)}`;
    g.fillText(label, legend, PAD.top - 8);
    legend += g.measureText(label).width + 16;
  }
}

/**
 * Draws a recorded step: one row per layer (the output at the top), one box per call, from its start to its end;
 * the calls that started before `phase` (0..1 of the step) are filled, the playhead is the dashed line.
 */
export function drawTimeline(canvas: HTMLCanvasElement, record: StepRecord, names: string[], phase: number): void {
  const g = context(canvas);
  const left = 120, right = 12, top = 8, bottom = 20;
  const w = canvas.clientWidth - left - right;
  const rowH = (canvas.clientHeight - top - bottom) / names.length;
  const duration = Math.max(record.end - record.start, 1e-6);
  const x = (t: number) => left + (w * (t - record.start)) / duration;
  const row = (layer: number) => top + (names.length - 1 - layer) * rowH;
  names.forEach((name, layer) => {
    g.fillStyle = layer % 2 ? "#fafafa" : "#f0f3f4";
    g.fillRect(left, row(layer), w, rowH);
    g.fillStyle = "#333";
    g.textAlign = "right";
    g.fillText(name, left - 6, row(layer) + rowH / 2 + 4);
  });
  const playhead = record.start + phase * duration;
  // Interfaces' calls sit on the upper half of their layer's row (between the layer and the one above).
  const lanes: Record<string, [number, number]> = {
    forward: [0.55, 0.35],
    backward: [0.55, 0.35],
    update: [0.2, 0.3],
    synthetic: [0.05, 0.15],
    message: [0.05, 0.15],
    loss: [0.05, 0.15],
  };
  for (const s of record.spans) {
    const [offset, height] = lanes[s.kind]!;
    const x0 = x(s.start), x1 = Math.max(x(s.end), x0 + 2);
    const y0 = row(s.layer) + offset * rowH;
    g.globalAlpha = s.start <= playhead ? 1 : 0.15;
    g.fillStyle = spanColors[s.kind];
    g.fillRect(x0, y0, x1 - x0, height * rowH);
  }
  g.globalAlpha = 1;
  // The loss: a layer whose update is left of this line did not wait for the forward pass to reach the top.
  const loss = record.spans.find((s) => s.kind === "loss");
  if (loss !== undefined) {
    g.strokeStyle = spanColors.loss;
    g.beginPath();
    g.moveTo(x(loss.start), top);
    g.lineTo(x(loss.start), top + rowH * names.length);
    g.stroke();
  }
  g.strokeStyle = "#333";
  g.setLineDash([4, 3]);
  g.beginPath();
  g.moveTo(x(playhead), top);
  g.lineTo(x(playhead), top + rowH * names.length);
  g.stroke();
  g.setLineDash([]);
  g.fillStyle = "#555";
  g.textAlign = "left";
  g.fillText("0 ms", left, top + rowH * names.length + 14);
  g.textAlign = "right";
  g.fillText(`${duration.toFixed(1)} ms (step ${record.step})`, left + w, top + rowH * names.length + 14);
}
