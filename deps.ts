/**
 * The one place where third-party modules are named. Every import is an explicit, version-pinned `npm:`
 * specifier, so `mod.ts` works when imported by URL from a folder that has no `deno.json`.
 *
 * @module
 */
export * as tf from "npm:@tensorflow/tfjs@4.22.0";
export {
  getThreadsCount as wasmThreadsCount,
  version_wasm as wasmVersion,
} from "npm:@tensorflow/tfjs-backend-wasm@4.22.0";
