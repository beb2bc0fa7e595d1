/**
 * The `native` backend: TF.js's wasm backend (its tensors live on the wasm heap, its elementwise kernels are
 * SIMD wasm) with the kernels that dominate training replaced by calls into a BLAS library through Deno's FFI:
 * matrix products (BatchMatMul, _FusedMatMul), sums over leading or trailing axes (bias gradients), and the fused
 * fused kernels of `fused/names.ts` (optimizer updates, ReLU's backward, softmax cross-entropy, the finiteness check). BLAS reads and writes the wasm heap in place: no copies.
 *
 * This module takes the TF.js instance as an argument and imports nothing from `deps.ts`, which calls it while it
 * starts TF.js.
 *
 * @module
 */
import type { tf as TF } from "../deps.ts";
import { type Blas, type BlasUnavailable, loadBlas } from "./blas.ts";
import { type WasmBackend, wasmKernel } from "./_heap.ts";
import { simdKernels } from "./_simd.ts";
import { batchMatMul, fusedMatMul } from "./kernels_matmul.ts";
import { sum } from "./kernels_sum.ts";
import { convKernels } from "./kernels_conv.ts";
import { OPTIMIZER_KERNELS } from "./kernels_optimizers.ts";
import { FUSED_KERNELS } from "./kernels_fused.ts";
import { lstmKernels } from "./kernels_lstm.ts";

// Types only: importing deps.ts at run time would be a cycle (deps.ts calls chooseBackend while it starts).
type Tf = typeof TF;
type KernelConfig = Parameters<Tf["registerKernel"]>[0];

/** The name the native backend is registered under. */
export const NATIVE = "native";

// The library is loaded at most once per process (per Worker): TF.js's kernel registry is process-wide too.
let loaded: Blas | BlasUnavailable | undefined;

/** The BLAS library the native backend uses (loaded on first call), or why there is none. */
export function nativeBlas(): Blas | BlasUnavailable {
  loaded ??= loadBlas();
  return loaded;
}

/**
 * Registers the native backend with `tf` (once): the wasm backend's kernels, with BLAS ones in place of the
 * matrix products, convolutions and their gradients, leading/trailing-axis sums, plus the fused kernels.
 *
 * @returns The BLAS library, or why the backend cannot run (no BLAS, no FFI permission, no wasm backend).
 */
export function registerNative(tf: Tf): Blas | BlasUnavailable {
  const blas = nativeBlas();
  if ("reason" in blas) return blas;
  if (tf.findBackendFactory(NATIVE) !== null) return blas;
  const wasmFactory = tf.findBackendFactory("wasm");
  if (wasmFactory === null) {
    return { reason: "the wasm backend, which the native backend builds on, is not registered" };
  }
  const overrides: Record<string, unknown> = {
    BatchMatMul: batchMatMul(blas, wasmKernel(tf, "BatchMatMul")),
    _FusedMatMul: fusedMatMul(blas, wasmKernel(tf, "_FusedMatMul")),
    Sum: sum(blas, wasmKernel(tf, "Sum")),
    ...convKernels(tf, blas),
  };
  const wasmKernels = tf.getKernelsForBackend("wasm");
  for (const kernel of wasmKernels) {
    const kernelFunc = (overrides[kernel.kernelName] ?? kernel.kernelFunc) as typeof kernel.kernelFunc;
    tf.registerKernel({ ...kernel, backendName: NATIVE, kernelFunc });
  }
  // Kernels wasm lacks (Conv2DBackpropFilter) and the fused kernels of fused/names.ts.
  const own = new Set(wasmKernels.map((k) => k.kernelName));
  const added = Object.entries(overrides).filter(([name]) => !own.has(name));
  const fused = { ...OPTIMIZER_KERNELS, ...FUSED_KERNELS, ...lstmKernels(blas) };
  for (const [kernelName, kernelFunc] of [...added, ...Object.entries(fused)]) {
    tf.registerKernel({ kernelName, backendName: NATIVE, kernelFunc: kernelFunc as KernelConfig["kernelFunc"] });
  }
  // A fresh wasm module of its own; priority below wasm's, so TF.js never picks it by itself.
  tf.registerBackend(NATIVE, async () => {
    const backend = await wasmFactory();
    if (simdKernels(backend as unknown as WasmBackend) === undefined) {
      throw new Error("the native backend needs TF.js's wasm heap to be an unshared WebAssembly.Memory");
    }
    return backend;
  }, 1);
  return blas;
}

/** Which backend runs, and why, as `chooseBackend` decided it. */
export interface BackendChoice {
  /** The active backend. */
  backend: string;
  /** Why: the BLAS library used, or why native could not run, or the `DNI_BACKEND` request. */
  reason: string;
}

function requestedBackend(): string | undefined {
  try {
    if (Deno.permissions.querySync({ name: "env", variable: "DNI_BACKEND" }).state !== "granted") return undefined;
    return Deno.env.get("DNI_BACKEND") || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Picks the default backend once TF.js is ready: `DNI_BACKEND` when set (`native`, `wasm` or `cpu`), else `native`
 * when a BLAS library loads and `--allow-ffi` is granted, else wasm (or whatever TF.js started).
 *
 * @throws {Error} When `DNI_BACKEND` names an unknown backend or one that cannot start.
 */
export async function chooseBackend(tf: Tf): Promise<BackendChoice> {
  const requested = requestedBackend();
  const blas = registerNative(tf);
  const blasLine = "reason" in blas ? undefined : `BLAS: ${blas.description} (${blas.path})`;
  if (requested !== undefined) {
    if (!["native", "wasm", "cpu"].includes(requested)) {
      throw new Error(`DNI_BACKEND="${requested}" is not a backend: use native, wasm or cpu`);
    }
    if (requested === NATIVE && "reason" in blas) {
      throw new Error(`DNI_BACKEND=native, but the native backend cannot run: ${blas.reason}`);
    }
    if (!(await tf.setBackend(requested))) throw new Error(`DNI_BACKEND=${requested}: the backend failed to start`);
    return { backend: requested, reason: `DNI_BACKEND=${requested}${requested === NATIVE ? `; ${blasLine}` : ""}` };
  }
  if (blasLine !== undefined && (await tf.setBackend(NATIVE))) return { backend: NATIVE, reason: blasLine };
  const why = "reason" in blas ? blas.reason : "the native backend failed to start";
  return { backend: tf.getBackend(), reason: `native backend unavailable: ${why}` };
}
