// deno-lint-ignore-file no-import-prefix -- explicit npm: specifiers are the point: mod.ts must work when imported by URL.
/**
 * The one place where third-party modules are named. Every import is an explicit, version-pinned `npm:`
 * specifier, so `mod.ts` works when imported by URL from a folder that has no `deno.json`.
 *
 * Importing this module starts the native backend (BLAS through FFI) when it can, else wasm (else cpu), so the
 * library can be used at once.
 *
 * @module
 */
import * as tfjs from "npm:@tensorflow/tfjs@4.22.0";
import { type BackendChoice, chooseBackend } from "./native/backend.ts";
export {
  getThreadsCount as wasmThreadsCount,
  version_wasm as wasmVersion,
} from "npm:@tensorflow/tfjs-backend-wasm@4.22.0";

// tfjs prints a hint to install tfjs-node when it sees a Node-like runtime; production mode keeps it quiet.
tfjs.enableProdMode();
// Only wasm (preferred) and cpu: tfjs would try WebGL first, which fails noisily in Deno Workers.
for (const name of ["webgl", "webgpu"]) if (tfjs.findBackendFactory(name)) tfjs.removeBackend(name);
await tfjs.ready();

/**
 * Which backend `dni` started on, and why: `native` (BLAS through FFI) when a BLAS library loads and `--allow-ffi`
 * is granted, else wasm; `DNI_BACKEND` overrides. See `backend.ts`.
 */
export const startedBackend: BackendChoice = await chooseBackend(tfjs);

/**
 * TensorFlow.js (`npm:@tensorflow/tfjs@4.22.0`): the same module instance, and so the same backend and tensor
 * registry, that `dni` uses. Make the tensors you pass to `dni` with it. Its functions are documented at
 * https://js.tensorflow.org/api/4.22.0/.
 *
 * @example Make a tensor with the instance `dni` uses
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "./mod.ts";
 *
 * const x: tf.Tensor2D = tf.ones([2, 3]);
 * assert.deepEqual(x.shape, [2, 3]);
 * x.dispose();
 * ```
 */
export const tf: typeof tfjs = tfjs;

/**
 * The TensorFlow.js types that `dni`'s signatures use, as `tf.Tensor2D` and so on. Each is the TensorFlow.js type of
 * that name; they are declared here, with documentation, because `deno doc --lint` cannot follow the undocumented
 * types of an npm package. Other TensorFlow.js types: `import type { ... } from "npm:@tensorflow/tfjs@4.22.0"`.
 */
export declare namespace tf {
  /** A tensor of any rank. */
  export type Tensor = tfjs.Tensor;
  /** A scalar (rank 0), e.g. a loss. */
  export type Scalar = tfjs.Scalar;
  /** A vector (rank 1), e.g. a bias or a batch of labels. */
  export type Tensor1D = tfjs.Tensor1D;
  /** A matrix (rank 2): a batch of activations, gradients or one-hot labels, one row per example. */
  export type Tensor2D = tfjs.Tensor2D;
  /** A rank-3 tensor: a batch of sequences `[B, time, features]`. */
  export type Tensor3D = tfjs.Tensor3D;
  /** A rank-4 tensor: a batch of images `[B, H, W, C]`, or a convolution kernel `[kh, kw, C, filters]`. */
  export type Tensor4D = tfjs.Tensor4D;
  /** A mutable tensor of any rank: a weight, or a running statistic. */
  export type Variable = tfjs.Variable;
  /** A TensorFlow.js layers model (the comparison's peer). */
  export type LayersModel = tfjs.LayersModel;
  /** A TensorFlow.js sequential layers model (the comparison's peer). */
  export type Sequential = tfjs.Sequential;
  /** A `tf.train` optimizer (the reference the optimizers are tested against). */
  export type Optimizer = tfjs.Optimizer;
}
