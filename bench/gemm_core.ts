// The MNIST FCN-3 backprop step's 11 sgemm calls (bench/_gemm_ceiling.ts) through the native backend's BLAS, on
// THREADS threads: 5 rounds of 20 repetitions, the median and best ms per step's calls and the best GFLOP/s. Run it
// under each OPENBLAS_CORETYPE to compare OpenBLAS's kernels (docs/backends.md, "OpenBLAS's kernels"):
//
//   OPENBLAS_CORETYPE=SkylakeX deno run --allow-read --allow-env --allow-ffi bench/gemm_core.ts 1
//   env -u OPENBLAS_CORETYPE deno run --allow-read --allow-env --allow-ffi bench/gemm_core.ts 1   # OpenBLAS's choice
import { nativeBlas } from "../native/backend.ts";
import { flopsOf, gemmBuffers, runGemms, stepGemms } from "./_gemm_ceiling.ts";

const blas = nativeBlas();
if ("reason" in blas) {
  console.error(`gemm_core: no BLAS: ${blas.reason}`);
  Deno.exit(1);
}
const threads = Number(Deno.args[0] ?? 1);
blas.setThreads(threads);
const calls = stepGemms("backprop"), buffers = gemmBuffers(calls);
for (let i = 0; i < 5; i++) runGemms(blas, calls, buffers);
const times: number[] = [];
for (let r = 0; r < 5; r++) {
  const t0 = performance.now();
  for (let i = 0; i < 20; i++) runGemms(blas, calls, buffers);
  times.push((performance.now() - t0) / 20);
}
times.sort((a, b) => a - b);
console.log(
  `${blas.description}, ${threads} thread(s): ${times[2]!.toFixed(2)} ms median, ${times[0]!.toFixed(2)} ms best, ` +
    `${(flopsOf(calls) / times[0]! / 1e6).toFixed(1)} GFLOP/s`,
);
