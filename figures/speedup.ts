/**
 * Figure (d), `speedup`: the simulated speedup per epoch of a decoupled pipeline over one-core backprop, against the
 * number of hosts, one line per model, interface and link, with the 3x of the claim drawn across. The data:
 * `speedup_data.ts`.
 *
 * @module
 */
import { lineChart } from "../report/svg.ts";
import type { SpeedupData } from "./speedup_data.ts";

/** Draws figure (d) from its data. */
export function speedupFigure(data: SpeedupData): string {
  const hosts = data.series[0]?.hosts ?? [1, 8];
  const series = data.series.map((s) => ({
    name: `${s.model}, ${s.link}`,
    points: s.hosts.map((h, k): [number, number] => [h, s.speedup[k]!]),
  }));
  series.push({ name: "3x: the claim (Bisong 2017)", points: [[hosts[0]!, 3], [hosts.at(-1)!, 3]] });
  return lineChart(series, {
    title: "Speedup per epoch over one-core backprop, simulated, MNIST batch 128, staleness 1",
    xLabel: "hosts (one stage each, one core per host)",
    yLabel: "speedup per epoch (x one-core backprop)",
    unitRange: false,
    width: 480,
    yRange: [0, Math.ceil(Math.max(...series.flatMap((s) => s.points.map((p) => p[1])))) + 0.5],
  });
}
