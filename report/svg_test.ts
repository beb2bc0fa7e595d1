import assert from "node:assert/strict";
import { lineChart, seriesStyle, textWidth, xAxisEnd } from "./svg.ts";
import { barChart } from "./svg_bars.ts";

Deno.test("seriesStyle() gives every one of 84 series its own colour and dash pair", () => {
  const pairs = new Set(Array.from({ length: 84 }, (_, i) => JSON.stringify(seriesStyle(i))));
  assert.equal(pairs.size, 84);
  assert.notEqual(seriesStyle(0).color, seriesStyle(1).color);
  assert.notEqual(seriesStyle(0).dash, seriesStyle(1).dash);
});

Deno.test("lineChart() draws 11 series in 11 distinct strokes and sizes the canvas to the longest legend name", () => {
  const long = "fcn3_local_loss_cut2-mnist-w2, the longest name of all";
  const series = Array.from({ length: 11 }, (_, i) => ({
    name: i === 10 ? long : `s${i}`,
    points: [[0, i / 10], [1, i / 11]] as [number, number][],
  }));
  const svg = lineChart(series, { title: "T", xLabel: "seconds", yLabel: "accuracy" });
  const strokes = [...svg.matchAll(/<polyline[^>]*?(stroke="[^"]*"[^/]*)\/>/g)].map((m) =>
    m[1]!.replace(/ clip.*/, "")
  );
  assert.equal(strokes.length, 11);
  assert.equal(new Set(strokes).size, 11);
  const width = Number(svg.match(/width="(\d+)"/)![1]);
  const legendX = Number(svg.match(new RegExp(`<text x="([\\d.]+)"[^>]*>${long}`))![1]);
  assert.ok(
    legendX + textWidth(long) <= width,
    `the legend ends at ${legendX + textWidth(long)}, the canvas at ${width}`,
  );
});

Deno.test("xAxisEnd() cuts one series that runs far past the others, and lineChart() says so", () => {
  const series = [
    { name: "fast", points: [[10, 0.9], [60, 0.97]] as [number, number][] },
    { name: "tfjs", points: [[50, 0.9], [495, 0.97]] as [number, number][] },
  ];
  assert.deepEqual(xAxisEnd(series), { xMax: 60 * 1.15, cut: 1 });
  assert.deepEqual(xAxisEnd(series.slice(0, 1)), { xMax: 60 });
  assert.match(
    lineChart(series, { title: "T", xLabel: "training seconds", yLabel: "y" }),
    /tfjs \(cut: runs to 495 s\)/,
  );
});

Deno.test("barChart() has a scale with ticks and room for the longest bar name", () => {
  const name = "fcn3_local_loss_cut2-mnist-w2 stage 1 (layers 2-3)";
  const svg = barChart([{ name, segments: [{ label: "busy", value: 1.2 }, { label: "waiting", value: 0.4 }] }], {
    title: "T",
    xLabel: "seconds",
  });
  for (const t of ["0", "0.5", "1", "1.5"]) assert.match(svg, new RegExp(`>${t.replace(".", "\\.")}</text>`));
  const x = Number(svg.match(/<text x="([\d.]+)"[^>]*text-anchor="end">fcn3/)![1]);
  assert.ok(x - textWidth(name) >= 0, `the name starts at ${x - textWidth(name)}`);
});
