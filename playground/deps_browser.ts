// deno-lint-ignore-file no-import-prefix -- the same pinned npm: specifiers as deps.ts, which this module stands in for.
/**
 * The browser's `deps.ts`: the playground's bundle (`playground/bundle.ts`) puts this module where the library
 * imports `deps.ts`. It exports the same names: the same TF.js, started on its wasm backend (the `.wasm` files served
 * by the playground's server under `/wasm/`, never a CDN), else on cpu. No native backend: no FFI in a browser.
 *
 * @module
 */
import * as tfjs from "npm:@tensorflow/tfjs@4.22.0";
import { setWasmPaths } from "npm:@tensorflow/tfjs-backend-wasm@4.22.0";
export {
  getThreadsCount as wasmThreadsCount,
  version_wasm as wasmVersion,
} from "npm:@tensorflow/tfjs-backend-wasm@4.22.0";

/** Which backend runs, and why (as `native/backend.ts`'s `BackendChoice`). */
export interface BackendChoice {
  /** The active backend: `wasm`, or `cpu` when wasm could not start. */
  backend: string;
  /** Why. */
  reason: string;
}

tfjs.enableProdMode();
for (const name of ["webgl", "webgpu"]) if (tfjs.findBackendFactory(name)) tfjs.removeBackend(name);
setWasmPaths(new URL("/wasm/", globalThis.location?.href ?? "http://127.0.0.1/").href);

async function start(): Promise<BackendChoice> {
  try {
    if (await tfjs.setBackend("wasm")) return { backend: "wasm", reason: "TF.js's wasm backend, from /wasm/" };
  } catch (error) {
    console.warn(`dni: the wasm backend failed to start (${error}); running on cpu`);
  }
  await tfjs.setBackend("cpu");
  return { backend: "cpu", reason: "the wasm backend failed to start" };
}

/** Which backend the playground started on, and why. */
export const startedBackend: BackendChoice = await start();

/** TensorFlow.js: the instance the library's modules use. */
export const tf: typeof tfjs = tfjs;
