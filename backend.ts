/**
 * Choosing the TensorFlow.js backend: `native` (the wasm backend with BLAS matrix products through Deno's FFI, the
 * default when a BLAS library loads and `--allow-ffi` is granted), `wasm` (TF.js's own, the default otherwise) or
 * `cpu` (pure JavaScript, slow, a fallback). `DNI_BACKEND` overrides the default; `DNI_BLAS` names the library.
 *
 * @module
 */
import { startedBackend, tf, wasmVersion } from "./deps.ts";
import { NATIVE, nativeBlas } from "./native/backend.ts";

/**
 * Why TF.js runs on neither native nor wasm after it started (it falls back to the slow cpu backend when the
 * `.wasm` file cannot be read), as a warning that names the backend that runs, the reason and the fix; `undefined`
 * when native or wasm runs.
 *
 * @param backend The active backend. @default {tf.getBackend()}
 * @param canRead Whether the process may read files (the `.wasm` file sits in Deno's npm cache).
 */
export function fallbackWarning(
  backend: string = tf.getBackend(),
  canRead: boolean = readGranted(),
): string | undefined {
  if (backend === "wasm" || backend === NATIVE) return undefined;
  const why = canRead
    ? "the wasm backend failed to start (see the messages above)"
    : "the wasm backend could not read its .wasm file from Deno's npm cache: read permission was not granted";
  const fix = canRead ? "" : " Run with --allow-read (e.g. deno run --allow-read --allow-env ...) to use wasm.";
  return `dni: TensorFlow.js runs on the "${backend}" backend (pure JavaScript, much slower), because ` +
    `${why}.${fix}`;
}

function readGranted(): boolean {
  try {
    return Deno.permissions.querySync({ name: "read" }).state === "granted";
  } catch {
    return false;
  }
}

// Said once per process (per Worker), when this module is first imported: the silent fallback cost users hours.
// An explicit DNI_BACKEND=cpu is a choice, not a fallback.
const warning = startedBackend.reason.startsWith("DNI_BACKEND=") ? undefined : fallbackWarning();
if (warning !== undefined) console.warn(warning);

/** The backends `dni` supports. */
export const BACKENDS = ["native", "wasm", "cpu"] as const;

/** A backend name: `"native"`, `"wasm"` or `"cpu"`. */
export type BackendName = typeof BACKENDS[number];

/**
 * The backend `dni` picks when none is asked for: `native` when a BLAS library loads and `--allow-ffi` is granted,
 * else `wasm`.
 */
export function defaultBackend(): BackendName {
  return "reason" in nativeBlas() ? "wasm" : NATIVE;
}

/**
 * Makes `name` the active backend and waits until it is ready.
 *
 * @param name `"native"`, `"wasm"` or `"cpu"`; by default {@linkcode defaultBackend}.
 * @returns The name of the active backend.
 * @throws {RangeError} If `name` is not a supported backend, or the backend cannot start (for `native`: why, e.g.
 *   no BLAS library or no `--allow-ffi`).
 *
 * @example Switch to the pure-JavaScript backend and back
 * ```ts
 * import assert from "node:assert/strict";
 * import { backendInfo, defaultBackend, useBackend } from "./mod.ts";
 *
 * assert.equal(await useBackend("cpu"), "cpu");
 * assert.equal(backendInfo().backend, "cpu");
 * await useBackend();
 * assert.equal(backendInfo().backend, defaultBackend());
 * ```
 */
export async function useBackend(name: string = defaultBackend()): Promise<BackendName> {
  if (!(BACKENDS as readonly string[]).includes(name)) {
    throw new RangeError(`Unknown backend "${name}": known backends are ${BACKENDS.join(", ")}`);
  }
  if (name === NATIVE) {
    const blas = nativeBlas();
    if ("reason" in blas) throw new RangeError(`Cannot start backend "native": ${blas.reason}`);
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new RangeError(`Cannot start backend "${name}"`);
  await tf.ready();
  return name as BackendName;
}

/**
 * Sets the number of threads the BLAS library uses for the native backend (process-wide: Workers share it).
 *
 * @param n A whole number >= 1.
 * @returns Whether the library lets us set it (OpenBLAS and MKL do, Accelerate does not); false without a BLAS.
 * @throws {RangeError} If `n` is not a whole number >= 1.
 */
export function setBlasThreads(n: number): boolean {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`BLAS threads must be a whole number >= 1, got ${n}`);
  const blas = nativeBlas();
  return "reason" in blas ? false : blas.setThreads(n);
}

/** What runs the tensors: the active backend, versions, and for native the BLAS library and its threads. */
export interface BackendInfo {
  /** The active backend. */
  backend: string;
  /** The TF.js version. */
  tfjs: string;
  /** The version of TF.js's wasm backend (which native builds on). */
  wasm: string;
  /** The BLAS library (native only), as it describes itself. */
  blas?: string;
  /** The BLAS library's threads (native only, when the library says). */
  threads?: number;
}

/**
 * Describes the active backend and library versions, for reports.
 *
 * @returns The backend name, the versions of tfjs and its wasm backend, and for native the BLAS library.
 */
export function backendInfo(): BackendInfo {
  const info: BackendInfo = { backend: tf.getBackend(), tfjs: tf.version.tfjs, wasm: wasmVersion };
  const blas = nativeBlas();
  if (info.backend === NATIVE && !("reason" in blas)) {
    info.blas = blas.description;
    const threads = blas.threads();
    if (threads !== undefined) info.threads = threads;
  }
  return info;
}

/**
 * One line that says which backend runs and why, for the CLI and reports: e.g. `dni: backend native (OpenBLAS
 * 0.3.21 ..., 1 thread)` or `dni: backend wasm (native backend unavailable: --allow-ffi was not granted)`.
 */
export function backendLine(): string {
  const info = backendInfo();
  if (info.backend === NATIVE) {
    const threads = info.threads === undefined ? "" : `, ${info.threads} thread${info.threads === 1 ? "" : "s"}`;
    return `dni: backend native (BLAS: ${info.blas}${threads})`;
  }
  const blas = nativeBlas();
  const why = info.backend === startedBackend.backend
    ? startedBackend.reason
    : "reason" in blas
    ? `chosen; native backend unavailable: ${blas.reason}`
    : "chosen";
  return `dni: backend ${info.backend} (${why})`;
}
