/**
 * Figure (d), `speedup`: the simulated speedup per epoch of a decoupled pipeline over one-core backprop, against the
 * number of hosts, one panel per interface, one line per model and link, with the 3x of the claim drawn across. The
 * data: `speedup_data.ts`.
 *
 * @module
 */
import { lineChart } from "../report/svg.ts";
import { smallMultiples } from "./_compose.ts";
import type { SpeedupData } from "./speedup_data.ts";

/** Draws figure (d) from its data. */
export function speedupFigure(data: SpeedupData): string {
  const iface = (model: string) => model.split(" ").at(-1)!;
  const interfaces = [...new Set(data.series.map((s) => iface(s.model)))];
  const panels = interfaces.map((name) => {
    const mine = data.series.filter((s) => iface(s.model) === name);
    const hosts = mine[0]?.hosts ?? [1, 8];
    const series = mine.map((s) => ({
      name: `${s.model.slice(0, -name.length - 1)}, ${s.link}`,
      points: s.hosts.map((h, k): [number, number] => [h, s.speedup[k]!]),
    }));
    series.push({ name: "3x: the claim (Bisong 2017)", points: [[hosts[0]!, 3], [hosts.at(-1)!, 3]] });
    const top = Math.max(...series.flatMap((s) => s.points.map((p) => p[1])));
    return lineChart(series, {
      title: `${name}`,
      xLabel: "hosts (one stage each, one core per host)",
      yLabel: "speedup per epoch (x one-core backprop)",
      unitRange: false,
      width: 300,
      height: 380,
      yRange: [0, Math.ceil(top) + 0.5],
    });
  });
  return smallMultiples(panels, {
    title: `Speedup per epoch over one-core backprop, simulated: MNIST, batch 128, staleness ${data.staleness}`,
    note: `Each point: the median of ${data.rounds} rounds, each profiling the modules and one-thread backprop ` +
      `on one core of this machine. Note the two panels' y scales differ.`,
  });
}
