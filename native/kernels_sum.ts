// Private: Sum over leading or trailing axes (a bias gradient sums a [B, units] gradient over the batch) as one
// sgemv against a vector of ones; other reductions go to the wasm kernel.
import type { Blas } from "./blas.ts";
import { type KernelArgs, type NativeKernel, sizeOf, type TensorInfo, view } from "./_heap.ts";

/** Sum through sgemv when the reduced axes are the first or the last ones. */
export function sum(blas: Blas, fallback: NativeKernel): NativeKernel {
  let ones = new Float32Array(0);
  return (args: KernelArgs) => {
    const x = args.inputs.x as TensorInfo;
    const rank = x.shape.length;
    const given = args.attrs.axis as number | number[] | undefined;
    const axes = [
      ...new Set(
        (given === undefined || given === null ? [...x.shape.keys()] : [given].flat()).map((a) => a < 0 ? a + rank : a),
      ),
    ]
      .sort((p, q) => p - q);
    const leading = axes.every((a, i) => a === i), trailing = axes.every((a, i) => a === rank - axes.length + i);
    if (x.dtype !== "float32" || axes.length === 0 || !(leading || trailing)) {
      return fallback(args);
    }
    const reduced = sizeOf(axes.map((a) => x.shape[a]!));
    const kept = x.shape.filter((_, i) => !axes.includes(i));
    const shape = args.attrs.keepDims ? x.shape.map((d, i) => axes.includes(i) ? 1 : d) : kept;
    const out = args.backend.makeOutput(shape, "float32");
    const Y = view(args.backend, out);
    if (reduced === 0) Y.fill(0);
    else {
      if (ones.length < reduced) ones = new Float32Array(reduced).fill(1);
      const X = view(args.backend, x), kept1 = sizeOf(kept);
      // Leading: X is [reduced, kept] and Y = X^T 1; trailing: X is [kept, reduced] and Y = X 1.
      if (leading) blas.sgemv(true, reduced, kept1, 1, X, kept1, ones, 0, Y);
      else blas.sgemv(false, kept1, reduced, 1, X, reduced, ones, 0, Y);
    }
    return out;
  };
}
