// Private: moving a tensor's float32 values in and out of TF.js through shared memory with as few copies as the
// backend allows. On wasm and native a tensor's values sit on the wasm heap: they are copied from there straight
// into the slot (one copy, where `dataSync().slice()` makes two), and `tf.tensor()` copies its input onto the heap.
// The cpu backend keeps the array `tf.tensor()` is given, so there a slot's values are copied first: the slot will
// be reused.
import { tf } from "../deps.ts";
import { type TensorInfo, view, type WasmBackend } from "../native/_heap.ts";

// The active backend when its tensors live on a wasm heap (wasm, native), else null.
function heapBackend(): WasmBackend | null {
  const backend = tf.backend() as Partial<WasmBackend>;
  return backend.wasm?.HEAPU8 !== undefined && backend.dataIdMap !== undefined ? backend as WasmBackend : null;
}

// The float32 values of `t`, as a view of the heap (valid until the next allocation) or the backend's own array.
function valuesOf(t: tf.Tensor): Float32Array {
  const backend = heapBackend();
  if (backend !== null && t.dtype === "float32") return view(backend, t as unknown as TensorInfo);
  return t.dataSync() as Float32Array;
}

/** Copies `t`'s values into `target` (which has room for them). */
export function copyValues(t: tf.Tensor, target: Float32Array): void {
  target.set(valuesOf(t));
}

/**
 * A tensor of `shape` with the given values; they are copied when they are shared memory and the backend would
 * otherwise keep the array itself (cpu), since the slot will be reused.
 */
export function tensorFrom(values: Float32Array, shape: number[]): tf.Tensor {
  return tf.tensor(ownValues(values), shape, "float32");
}

/**
 * `values`, or a copy of them when they are shared memory and the backend would otherwise keep the array itself
 * (cpu): what a tensor can be made of while the slot is reused.
 */
export function ownValues(values: Float32Array): Float32Array {
  return values.buffer instanceof SharedArrayBuffer && heapBackend() === null ? values.slice() : values;
}
