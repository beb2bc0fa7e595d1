// deno-lint-ignore-file no-import-prefix -- explicit npm: specifiers are the point: mod.ts must work when imported by URL.
/**
 * The one place where third-party modules are named. Every import is an explicit, version-pinned `npm:`
 * specifier, so `mod.ts` works when imported by URL from a folder that has no `deno.json`.
 *
 * Importing this module starts the wasm backend (else cpu), so the library can be used at once.
 *
 * @module
 */
import * as tf from "npm:@tensorflow/tfjs@4.22.0";
export {
  getThreadsCount as wasmThreadsCount,
  version_wasm as wasmVersion,
} from "npm:@tensorflow/tfjs-backend-wasm@4.22.0";

// tfjs prints a hint to install tfjs-node when it sees a Node-like runtime; production mode keeps it quiet.
tf.enableProdMode();
// Only wasm (preferred) and cpu: tfjs would try WebGL first, which fails noisily in Deno Workers.
for (const name of ["webgl", "webgpu"]) if (tf.findBackendFactory(name)) tf.removeBackend(name);
await tf.ready();

export { tf };
