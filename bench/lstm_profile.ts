/**
 * Where the time of one LSTM training step goes, by kernel (TF.js's profiler: the kernels' wall time on the active
 * backend), for the cases of bench/_lstm_runner.ts on native with and without the fused LSTM kernels:
 *
 *     deno run --allow-read --allow-env --allow-ffi bench/lstm_profile.ts [--case seq-mnist|copy-dni] [--steps 5]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { tf } from "../deps.ts";
import { setBlasThreads } from "../backend.ts";
import { dniLstmRunner, LSTM_CASES, type LstmCase } from "./_lstm_runner.ts";

const { values: args } = parseArgs({
  options: { case: { type: "string", default: "seq-mnist" }, steps: { type: "string", default: "5" } },
});
const c = args.case as LstmCase;
if (!LSTM_CASES.includes(c)) throw new RangeError(`--case must be one of ${LSTM_CASES.join(", ")}, got ${c}`);
const n = Number(args.steps);
setBlasThreads(1);
for (const key of ["native", "native-composite"] as const) {
  const runner = await dniLstmRunner(key);
  let wall = 0;
  const info = await tf.profile(async () => {
    wall = await runner.steps(c, n);
  });
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += Number(k.kernelTimeMs) / (n + 1);
    e.calls += 1 / (n + 1);
    byKernel.set(k.name, e);
  }
  const rows = [...byKernel].sort((a, b) => b[1].ms - a[1].ms);
  const total = rows.reduce((s, [, e]) => s + e.ms, 0);
  console.log(
    `${c}, ${key}: ${wall.toFixed(2)} ms per step (profiled); kernels ${total.toFixed(2)} ms in ${
      rows.reduce((s, [, e]) => s + e.calls, 0).toFixed(0)
    } calls; the rest is JavaScript between kernels`,
  );
  for (const [name, e] of rows.slice(0, 14)) {
    console.log(`  ${name.padEnd(26)} ${e.ms.toFixed(3).padStart(8)} ms  ${e.calls.toFixed(0).padStart(5)} calls`);
  }
  await runner.close();
}
