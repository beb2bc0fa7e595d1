// Private: the SIMD kernels of native/wasm/kernels.wat, instantiated on the heap of the wasm backend they serve
// (one instance per heap). Pointers are byte offsets into that heap.
import { KERNELS_WASM_BASE64 } from "./wasm/kernels_wasm.ts";
import { offset, onHeap, sizeOf, type TensorInfo, type WasmBackend } from "./_heap.ts";

/** The exported kernels; see kernels.wat for the formulas. */
export interface SimdKernels {
  adam(...args: number[]): void;
  sgd(v: number, g: number, v1: number, n: number, lr: number): void;
  momentum(...args: number[]): void;
  rmsprop(...args: number[]): void;
  relu(x: number, n: number): void;
  reluGrad(dy: number, y: number, dx: number, n: number): void;
  nonFinite(x: number, n: number): number;
  l2Regression(pred: number, target: number, g: number, n: number, targetScale: number, gScale: number): number;
}

/** The kernels on `backend`'s heap; the native backend does not start without them, so this throws only on misuse. */
export function requireSimd(backend: WasmBackend): SimdKernels {
  const kernels = simdKernels(backend);
  if (kernels === undefined) throw new Error("native backend: the SIMD kernels cannot run on this heap");
  return kernels;
}

/** ReLU in place on the values of `t` (NaN stays NaN). */
export function reluInPlace(backend: WasmBackend, t: TensorInfo): void {
  requireSimd(backend).relu(offset(backend, t), sizeOf(t.shape));
}

/** The kernels working on `backend`'s heap, or `undefined` when its memory cannot be imported (a shared heap). */
export const simdKernels: (backend: WasmBackend) => SimdKernels | undefined = onHeap<SimdKernels>(KERNELS_WASM_BASE64);
