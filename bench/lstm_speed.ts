/**
 * LSTM training speed, side by side in one run: dni native with the fused LSTM kernels, native without them (the
 * composite ops, the path before them), optionally wasm, and PyTorch 1.13, all on one thread, the parties
 * alternating within each round (their order rotates from round to round). Cases: sequential MNIST (full BPTT) and
 * the copy task's DNI step (T = 3) on batches of length 1 and 10; see bench/_lstm_runner.ts.
 *
 *     deno run --allow-read --allow-env --allow-ffi --allow-run bench/lstm_speed.ts --rounds 7
 *
 * Prints, per case and party, the median ms per step over the rounds, the min and max, and the ratios to PyTorch
 * and to native without the kernels; `--json` prints one JSON object instead.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { setBlasThreads } from "../backend.ts";
import { dniLstmRunner, LSTM_CASES, type LstmCase, type LstmRunner, torchLstmRunner } from "./_lstm_runner.ts";

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    "mnist-steps": { type: "string", default: "10" },
    "copy-steps": { type: "string", default: "50" },
    "copy10-steps": { type: "string", default: "10" },
    wasm: { type: "boolean", default: false },
    python: { type: "string", default: "/usr/bin/python3" },
    json: { type: "boolean", default: false },
  },
});
const rounds = Number(args.rounds),
  stepsOf: Record<LstmCase, number> = {
    "seq-mnist": Number(args["mnist-steps"]),
    "copy-dni": Number(args["copy-steps"]),
    "copy-dni-10": Number(args["copy10-steps"]),
  };

setBlasThreads(1);
const runners: LstmRunner[] = [await dniLstmRunner("native"), await dniLstmRunner("native-composite")];
if (args.wasm) runners.push(await dniLstmRunner("wasm"));
const torch = await torchLstmRunner(args.python, 1);
if ("reason" in torch) console.error(`pytorch: not run: ${torch.reason}`);
else runners.push(torch);

const times = new Map<string, number[]>();
for (let r = 0; r < rounds; r++) {
  for (const c of LSTM_CASES) {
    const order = runners.map((_, k) => runners[(k + r) % runners.length]!);
    for (const runner of order) {
      if (!runner.cases.includes(c)) continue;
      const key = `${c} ${runner.key}`;
      times.set(key, [...(times.get(key) ?? []), await runner.steps(c, stepsOf[c])]);
    }
  }
}
for (const runner of runners) await runner.close();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const result: Record<string, { median: number; min: number; max: number; rounds: number[] }> = {};
for (const [key, xs] of times) {
  result[key] = { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), rounds: xs };
}

if (args.json) console.log(JSON.stringify({ rounds, steps: stepsOf, result }));
else {
  console.log(`${rounds} rounds; steps per round: ${JSON.stringify(stepsOf)}; ms per step, median [min, max]`);
  for (const c of LSTM_CASES) {
    const base = result[`${c} native-composite`]?.median, peer = result[`${c} pytorch`]?.median;
    for (const runner of runners) {
      const v = result[`${c} ${runner.key}`];
      if (v === undefined) continue;
      const vs = [
        base === undefined ? "" : `${(base / v.median).toFixed(2)}x composite's speed`,
        peer === undefined ? "" : `${(v.median / peer).toFixed(2)}x PyTorch's time`,
      ].filter(Boolean).join(", ");
      console.log(
        `${c.padEnd(11)} ${runner.key.padEnd(17)} ${v.median.toFixed(2).padStart(7)} [${v.min.toFixed(2)}, ${
          v.max.toFixed(2)
        }]  ${vs}`,
      );
    }
  }
}
