// Private: the parts of TF.js's wasm backend that the native kernels use. The native backend is a wasm backend
// whose heavy kernels call BLAS on the wasm heap directly: a tensor's values are a Float32Array view of that heap.
// Views go stale when the heap grows (a new ArrayBuffer), so a kernel takes its views after its last allocation.
import type { tf } from "../deps.ts";

/** What the engine passes to a kernel about a tensor. */
export interface TensorInfo {
  dataId: object;
  shape: number[];
  dtype: string;
}

/** The members of TF.js's `BackendWasm` that the native kernels use. */
export interface WasmBackend {
  wasm: { HEAPU8: Uint8Array; asm?: { memory?: unknown } };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: string): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** The arguments of a kernel function. */
export interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: WasmBackend;
  attrs: Record<string, unknown>;
}

/** A kernel function of the native backend. */
export type NativeKernel = (args: KernelArgs) => TensorInfo | TensorInfo[];

/** The number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** The float32 values of `t`, a view of the wasm heap (valid until the next allocation). */
export function view(backend: WasmBackend, t: TensorInfo): Float32Array {
  const entry = backend.dataIdMap.get(t.dataId);
  if (entry === undefined) throw new Error("native backend: a tensor's data is not on this backend");
  return new Float32Array(backend.wasm.HEAPU8.buffer, entry.memoryOffset, sizeOf(t.shape));
}

/** The byte offset of `t`'s values in the wasm heap. */
export function offset(backend: WasmBackend, t: TensorInfo): number {
  const entry = backend.dataIdMap.get(t.dataId);
  if (entry === undefined) throw new Error("native backend: a tensor's data is not on this backend");
  return entry.memoryOffset;
}

/**
 * The whole wasm heap as float32s (valid until the next allocation). Sizes and offsets are divided, not shifted:
 * a heap past 2 GiB (a 10-million-wide input, say) would turn negative under `>> 2`.
 */
export function heapFloats(backend: WasmBackend): Float32Array {
  const { buffer } = backend.wasm.HEAPU8;
  return new Float32Array(buffer, 0, Math.floor(buffer.byteLength / 4));
}

/** The float32 index of `t`'s values in `heapFloats(backend)`. */
export function floatOffset(backend: WasmBackend, t: TensorInfo): number {
  return offset(backend, t) / 4;
}

/** The kernel of `name` that TF.js's wasm backend registers. */
export function wasmKernel(registry: typeof tf, name: string): NativeKernel {
  const config = registry.getKernel(name, "wasm");
  if (config === undefined) throw new Error(`native backend: the wasm backend has no ${name} kernel`);
  return config.kernelFunc as unknown as NativeKernel;
}

/**
 * A WebAssembly module (base64) that imports a wasm backend's heap as `env.memory`, compiled once and instantiated
 * once per heap: the returned function gives its exports on `backend`'s heap, or `undefined` when that heap cannot be
 * imported (a shared one).
 */
export function onHeap<T>(base64: string): (backend: WasmBackend) => T | undefined {
  let compiled: WebAssembly.Module | undefined;
  const instances = new WeakMap<WebAssembly.Memory, T>();
  return (backend) => {
    const memory = backend.wasm.asm?.memory;
    if (!(memory instanceof WebAssembly.Memory) || memory.buffer instanceof SharedArrayBuffer) return undefined;
    let exports = instances.get(memory);
    if (exports === undefined) {
      compiled ??= new WebAssembly.Module(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
      exports = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as T;
      instances.set(memory, exports);
    }
    return exports;
  };
}
