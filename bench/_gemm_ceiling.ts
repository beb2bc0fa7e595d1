// The GEMM ceiling of an MLP training step: the step's matrix products alone (forward, weight gradients, input
// gradients but the first layer's), called directly through the BLAS library on plain Float32Arrays, with nothing
// else in between. A step cannot be faster than this on one BLAS thread; the benchmarks report a step's time
// against it (FLOP-weighted: the products are the same ones the step makes).
import type { Blas } from "../native/blas.ts";
import { Random } from "../random.ts";

/** The GEMMs of one backprop step of an MLP of `widths` (input first) at `batch`, and their FLOPs. */
export function gemmCeiling(blas: Blas, widths: readonly number[], batch: number): { run: () => void; flops: number } {
  const random = new Random(0);
  const filled = (n: number) => Float32Array.from({ length: n }, () => random.next() - 0.5);
  const acts = widths.map((d) => filled(batch * d)), grads = widths.map((d) => filled(batch * d));
  const kernels = widths.slice(1).map((d, i) => filled(widths[i]! * d));
  const kernelGrads = kernels.map((w) => new Float32Array(w.length));
  let flops = 0;
  for (let i = 0; i + 1 < widths.length; i++) flops += 2 * batch * widths[i]! * widths[i + 1]! * (i > 0 ? 3 : 2);
  const run = () => {
    const L = widths;
    for (let i = 0; i + 1 < L.length; i++) {
      blas.sgemm(
        false,
        false,
        batch,
        L[i + 1]!,
        L[i]!,
        1,
        acts[i]!,
        L[i]!,
        kernels[i]!,
        L[i + 1]!,
        0,
        acts[i + 1]!,
        L[i + 1]!,
      );
    }
    for (let i = L.length - 2; i >= 0; i--) {
      blas.sgemm(
        true,
        false,
        L[i]!,
        L[i + 1]!,
        batch,
        1,
        acts[i]!,
        L[i]!,
        grads[i + 1]!,
        L[i + 1]!,
        0,
        kernelGrads[i]!,
        L[i + 1]!,
      );
      if (i > 0) {
        blas.sgemm(
          false,
          true,
          batch,
          L[i]!,
          L[i + 1]!,
          1,
          grads[i + 1]!,
          L[i + 1]!,
          kernels[i]!,
          L[i + 1]!,
          0,
          grads[i]!,
          L[i]!,
        );
      }
    }
  };
  return { run, flops };
}
