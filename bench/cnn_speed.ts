// The MNIST CNN's training step (bench/_cnn_runner.ts: examples/cnn_backprop.json's network, batch 128, Adam), side
// by side in one run: dni on native with its conv-net kernels, on native without them (the composite path before
// them), on wasm, and PyTorch (bench/peers/torch_cnn.py), all on one thread, the cases alternating within each round
// (the order rotating from round to round). Prints each case's median ms per step, samples/s, the spread (min-max)
// over the rounds, and the ratio to PyTorch's samples/s: of the medians, and the median of each round's own ratio.
//
//   deno run --allow-read --allow-env --allow-ffi --allow-run bench/cnn_speed.ts [--rounds 7] [--steps 10]
//     [--cases native,native-composite,wasm,pytorch] [--interfaces backprop,sg,csg] [--threads 1] [--json]
import { parseArgs } from "node:util";
import { cnnRunners } from "./_cnn_runner.ts";
import { BATCH } from "./_models.ts";
import type { Iface } from "./_speed_runners.ts";
import { loadAverages, median } from "./_stats.ts";

const { values: a } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "7" },
    steps: { type: "string", default: "10" },
    cases: { type: "string", default: "native,native-composite,wasm,pytorch" },
    interfaces: { type: "string", default: "backprop" },
    threads: { type: "string", default: "1" },
    json: { type: "boolean", default: false },
  },
});
const rounds = Number(a.rounds), steps = Number(a.steps);
const interfaces = a.interfaces!.split(",") as Iface[];
const runners = await cnnRunners({
  keys: a.cases!.split(","),
  interfaces,
  threads: Number(a.threads),
  onSkip: (key, reason) => console.error(`${key}: not run: ${reason}`),
});
const times = new Map<string, number[]>();
const cases = runners.flatMap((r) => interfaces.filter((i) => r.interfaces.includes(i)).map((i) => ({ r, i })));
for (let round = 0; round < rounds; round++) {
  for (let k = 0; k < cases.length; k++) {
    const { r, i } = cases[(k + round) % cases.length]!;
    const ms = await r.steps(i, steps);
    const key = `${r.key} ${i}`;
    times.set(key, [...(times.get(key) ?? []), ms]);
  }
  console.error(`round ${round + 1}/${rounds} done`);
}
for (const r of runners) await r.close();
const rows = [...times].map(([key, ms]) => ({
  key,
  msPerStep: median(ms),
  samplesPerSecond: (BATCH * 1000) / median(ms),
  min: Math.min(...ms),
  max: Math.max(...ms),
  rounds: ms,
}));
if (a.json) {
  console.log(JSON.stringify({ rounds, steps, batch: BATCH, threads: Number(a.threads), load: loadAverages(), rows }));
} else {
  const torch = rows.find((r) => r.key === "pytorch backprop");
  console.log(
    `MNIST CNN step, batch ${BATCH}, ${a.threads} thread(s), ${rounds} rounds of ${steps} steps, alternating; ` +
      `load averages ${loadAverages()}`,
  );
  console.log("case                        ms/step (median)  range (min-max)    samples/s   / PyTorch");
  // Also the median over rounds of each round's own ratio (the cases of a round ran next to each other).
  const paired = (r: typeof rows[number]) => {
    const ratios = r.rounds.map((ms, k) => torch!.rounds[k]! / ms);
    return `${median(ratios).toFixed(2)}x (rounds ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`;
  };
  for (const r of rows) {
    const ratio = torch && r.key.endsWith("backprop")
      ? `${(r.samplesPerSecond / torch.samplesPerSecond).toFixed(2)}x; paired ${paired(r)}`
      : "";
    console.log(
      `${r.key.padEnd(28)}${r.msPerStep.toFixed(1).padStart(16)}  ${
        `${r.min.toFixed(1)}-${r.max.toFixed(1)}`.padStart(15)
      }  ${r.samplesPerSecond.toFixed(0).padStart(10)}   ${ratio}`,
    );
  }
}
