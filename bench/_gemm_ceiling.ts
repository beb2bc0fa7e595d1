// The GEMM ceiling of the MNIST FCN-3 training step: the step's matrix products alone (forward, weight gradients,
// input gradients but the first layer's; for sg/csg also each linear synthesizer's forward and weight gradient),
// called directly through the BLAS library on plain Float32Arrays, with nothing else in between. A step cannot be
// faster than this on one BLAS thread; the benchmarks report a step's time against it (FLOP-weighted: the products
// are the same ones the step makes).
import type { Blas } from "../native/blas.ts";
import { BATCH } from "./_models.ts";

/** One sgemm call: `[m, n] = op(A) op(B)` with inner size k. */
export interface Gemm {
  what: string;
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
}

/** The FCN-3's widths, input first. */
export const WIDTHS: readonly number[] = [784, 256, 256, 256, 10];

/**
 * The sgemm calls of a step. Backprop: forward 4, weight gradients 4, input gradients 3 (none for the input
 * layer). sg/csg add, for each of the 3 linear synthesizers, its forward and its weight gradient (it needs no
 * input gradient); csg's synthesizers read [h, one-hot labels], 266 wide.
 */
export function stepGemms(iface: "backprop" | "sg" | "csg"): Gemm[] {
  const calls: Gemm[] = [];
  for (let l = 0; l < 4; l++) {
    calls.push({ what: `forward ${l}`, transA: false, transB: false, m: BATCH, n: WIDTHS[l + 1]!, k: WIDTHS[l]! });
  }
  for (let l = 3; l >= 0; l--) {
    calls.push({ what: `dW ${l}`, transA: true, transB: false, m: WIDTHS[l]!, n: WIDTHS[l + 1]!, k: BATCH });
    if (l > 0) calls.push({ what: `dx ${l}`, transA: false, transB: true, m: BATCH, n: WIDTHS[l]!, k: WIDTHS[l + 1]! });
  }
  if (iface === "backprop") return calls;
  const k = 256 + (iface === "csg" ? 10 : 0);
  for (let l = 0; l < 3; l++) {
    calls.push({ what: `synthesizer ${l} forward`, transA: false, transB: false, m: BATCH, n: 256, k });
    calls.push({ what: `synthesizer ${l} dW`, transA: true, transB: false, m: k, n: 256, k: BATCH });
  }
  return calls;
}

/** The floating-point operations of `calls`. */
export const flopsOf = (calls: Gemm[]): number => calls.reduce((s, c) => s + 2 * c.m * c.n * c.k, 0);

/** Buffers for `calls`, one set per call, filled with values in [-0.5, 0.5). */
export function gemmBuffers(calls: Gemm[]): { a: Float32Array; b: Float32Array; c: Float32Array }[] {
  const fill = (n: number) => Float32Array.from({ length: n }, () => Math.random() - 0.5);
  return calls.map((c) => ({ a: fill(c.m * c.k), b: fill(c.k * c.n), c: fill(c.m * c.n) }));
}

/** Runs `calls` once through `blas` on `buffers`; `times[i]` (when given) accumulates call i's milliseconds. */
export function runGemms(
  blas: Blas,
  calls: Gemm[],
  buffers: { a: Float32Array; b: Float32Array; c: Float32Array }[],
  times?: number[],
): void {
  calls.forEach((c, i) => {
    const { a, b, c: out } = buffers[i]!;
    const t0 = times ? performance.now() : 0;
    blas.sgemm(c.transA, c.transB, c.m, c.n, c.k, 1, a, c.transA ? c.m : c.k, b, c.transB ? c.k : c.n, 0, out, c.n);
    if (times) times[i]! += performance.now() - t0;
  });
}

/** The GEMM ceiling of a step of `iface`: a function that makes its sgemm calls once, and their FLOPs. */
export function gemmCeiling(blas: Blas, iface: "backprop" | "sg" | "csg"): { run: () => void; flops: number } {
  const calls = stepGemms(iface), buffers = gemmBuffers(calls);
  return { run: () => runGemms(blas, calls, buffers), flops: flopsOf(calls) };
}
