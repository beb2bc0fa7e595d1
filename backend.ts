/**
 * Choosing the TensorFlow.js backend: `wasm` (the default, fast) or `cpu` (pure JavaScript, slow, a fallback).
 *
 * @module
 */
import { tf, wasmVersion } from "./deps.ts";

/**
 * Why the wasm backend is not the active one after TF.js started (it falls back to the slow cpu backend when the
 * `.wasm` file cannot be read), as a warning that names the backend that runs, the reason and the fix; `undefined`
 * when wasm runs.
 *
 * @param backend The active backend. @default {tf.getBackend()}
 * @param canRead Whether the process may read files (the `.wasm` file sits in Deno's npm cache).
 */
export function fallbackWarning(
  backend: string = tf.getBackend(),
  canRead: boolean = readGranted(),
): string | undefined {
  if (backend === "wasm") return undefined;
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
const warning = fallbackWarning();
if (warning !== undefined) console.warn(warning);

/** The backends `dni` supports. */
export const BACKENDS = ["wasm", "cpu"] as const;

/** A backend name: `"wasm"` or `"cpu"`. */
export type BackendName = typeof BACKENDS[number];

/**
 * Makes `name` the active backend and waits until it is ready.
 *
 * @param name `"wasm"` (default) or `"cpu"`.
 * @returns The name of the active backend.
 * @throws {RangeError} If `name` is not a supported backend, or the backend cannot start.
 *
 * @example Switch to the pure-JavaScript backend and back
 * ```ts
 * import assert from "node:assert/strict";
 * import { backendInfo, useBackend } from "./mod.ts";
 *
 * assert.equal(await useBackend("cpu"), "cpu");
 * assert.equal(backendInfo().backend, "cpu");
 * await useBackend("wasm");
 * assert.equal(backendInfo().backend, "wasm");
 * ```
 */
export async function useBackend(name: string = "wasm"): Promise<BackendName> {
  if (!(BACKENDS as readonly string[]).includes(name)) {
    throw new RangeError(`Unknown backend "${name}": known backends are ${BACKENDS.join(", ")}`);
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new RangeError(`Cannot start backend "${name}"`);
  await tf.ready();
  return name as BackendName;
}

/**
 * Describes the active backend and library versions, for reports.
 *
 * @returns The backend name and the versions of tfjs and its wasm backend.
 */
export function backendInfo(): { backend: string; tfjs: string; wasm: string } {
  return { backend: tf.getBackend(), tfjs: tf.version.tfjs, wasm: wasmVersion };
}
