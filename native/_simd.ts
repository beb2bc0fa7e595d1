// Private: the SIMD kernels of native/wasm/kernels.wat, instantiated on the heap of the wasm backend they serve
// (one instance per heap). Pointers are byte offsets into that heap.
import { KERNELS_WASM_BASE64 } from "./wasm/kernels_wasm.ts";
import { offset, sizeOf, type TensorInfo, view, type WasmBackend } from "./_heap.ts";

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

let compiled: WebAssembly.Module | undefined;
const instances = new WeakMap<WebAssembly.Memory, SimdKernels>();

/** ReLU in place on the values of `t` (NaN stays NaN): the SIMD kernel, or a loop where it cannot run. */
export function reluInPlace(backend: WasmBackend, t: TensorInfo): void {
  const simd = simdKernels(backend);
  if (simd !== undefined) return simd.relu(offset(backend, t), sizeOf(t.shape));
  const values = view(backend, t);
  for (let i = 0; i < values.length; i++) if (values[i]! < 0) values[i] = 0;
}

/** The kernels working on `backend`'s heap, or `undefined` when its memory cannot be imported (a shared heap). */
export function simdKernels(backend: WasmBackend): SimdKernels | undefined {
  const memory = backend.wasm.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory) || memory.buffer instanceof SharedArrayBuffer) return undefined;
  let kernels = instances.get(memory);
  if (kernels === undefined) {
    compiled ??= new WebAssembly.Module(Uint8Array.from(atob(KERNELS_WASM_BASE64), (c) => c.charCodeAt(0)));
    kernels = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as SimdKernels;
    instances.set(memory, kernels);
  }
  return kernels;
}
