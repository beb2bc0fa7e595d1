// Private: BatchMatMul and _FusedMatMul on BLAS. Rank-2 and batched (broadcast batch of 1 against N) products are
// one sgemm per matrix with the transposes as flags; a bias is written into the output first and accumulated with
// beta = 1; linear and relu activations are done here, others by the wasm kernel on the result.
import type { Blas } from "./blas.ts";
import { type KernelArgs, type NativeKernel, sizeOf, type TensorInfo, view, type WasmBackend } from "./_heap.ts";
import { reluInPlace } from "./_simd.ts";

interface Product {
  batch: number;
  batchA: number;
  batchB: number;
  m: number;
  n: number;
  k: number;
  outShape: number[];
}

function product(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): Product | undefined {
  const ra = a.shape.length, rb = b.shape.length;
  if (ra < 2 || rb < 2 || a.dtype !== "float32" || b.dtype !== "float32") return undefined;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== kb) return undefined; // the wasm kernel throws TF.js's own error
  const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
  const batchA = sizeOf(outerA), batchB = sizeOf(outerB);
  let outer: number[];
  if (batchB === 1 && outerB.every((d) => d === 1) && outerA.length >= outerB.length) outer = outerA;
  else if (batchA === 1 && outerA.every((d) => d === 1) && outerB.length >= outerA.length) outer = outerB;
  else if (outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i])) outer = outerA;
  else return undefined; // other broadcasts: the wasm kernel
  return { batch: Math.max(batchA, batchB), batchA, batchB, m, n, k, outShape: [...outer, m, n] };
}

function gemm(
  blas: Blas,
  backend: WasmBackend,
  a: TensorInfo,
  b: TensorInfo,
  out: TensorInfo,
  p: Product,
  transposeA: boolean,
  transposeB: boolean,
  beta: number,
): void {
  const A = view(backend, a), B = view(backend, b), C = view(backend, out);
  const { m, n, k } = p;
  const lda = transposeA ? m : k, ldb = transposeB ? k : n;
  if (p.batch === 1) {
    blas.sgemm(transposeA, transposeB, m, n, k, 1, A, lda, B, ldb, beta, C, n);
    return;
  }
  for (let i = 0; i < p.batch; i++) {
    const ai = p.batchA === 1 ? A : A.subarray(i * m * k, (i + 1) * m * k);
    const bi = p.batchB === 1 ? B : B.subarray(i * k * n, (i + 1) * k * n);
    blas.sgemm(transposeA, transposeB, m, n, k, 1, ai, lda, bi, ldb, beta, C.subarray(i * m * n, (i + 1) * m * n), n);
  }
}

/** BatchMatMul through sgemm. */
export function batchMatMul(blas: Blas, fallback: NativeKernel): NativeKernel {
  return (args: KernelArgs) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const transposeA = Boolean(args.attrs.transposeA), transposeB = Boolean(args.attrs.transposeB);
    const p = product(a, b, transposeA, transposeB);
    if (p === undefined) return fallback(args);
    const out = args.backend.makeOutput(p.outShape, "float32");
    if (p.m * p.n * p.k > 0) gemm(blas, args.backend, a, b, out, p, transposeA, transposeB, 0);
    else view(args.backend, out).fill(0);
    return out;
  };
}

/** _FusedMatMul (matmul, + bias, activation) through sgemm. */
export function fusedMatMul(blas: Blas, fallback: NativeKernel): NativeKernel {
  return (args: KernelArgs) => {
    const { a, b, bias, preluActivationWeights } = args.inputs;
    const transposeA = Boolean(args.attrs.transposeA), transposeB = Boolean(args.attrs.transposeB);
    const activation = (args.attrs.activation as string | undefined) ?? "linear";
    const p = product(a!, b!, transposeA, transposeB);
    const biasSize = bias === undefined ? 0 : sizeOf(bias.shape);
    if (
      p === undefined || preluActivationWeights !== undefined || (activation !== "linear" && activation !== "relu") ||
      (bias !== undefined && (bias.dtype !== "float32" || (biasSize !== p.n && biasSize !== 1)))
    ) return fallback(args);
    const out = args.backend.makeOutput(p.outShape, "float32");
    const { backend } = args;
    if (bias !== undefined) {
      const C = view(backend, out), values = view(backend, bias);
      if (biasSize === 1) C.fill(values[0]!);
      else for (let row = 0; row < C.length; row += p.n) C.set(values, row);
    }
    if (p.m * p.n * p.k > 0) gemm(blas, backend, a!, b!, out, p, transposeA, transposeB, bias === undefined ? 0 : 1);
    else if (bias === undefined) view(backend, out).fill(0);
    if (activation === "relu") reluInPlace(backend, out);
    return out;
  };
}
