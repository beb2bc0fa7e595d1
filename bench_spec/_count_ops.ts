/**
 * Counting the TF.js kernel calls of one run of a function (`tf.profile`), e.g. of one training step, to show beside
 * its time: on the native backend fused kernels make a step fewer, bigger calls than on wasm.
 *
 * @module
 */
import { tf } from "../deps.ts";

/**
 * The kernels `fn` calls on the active backend: those of `tf.profile`'s list that are registered kernels of the
 * backend (not the wrappers of custom gradients, which call kernels of their own). `fn` runs once, profiled: each
 * kernel's outputs are read back, so count outside a timed loop.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../mod.ts";
 * import { countOps } from "./_count_ops.ts";
 *
 * const a = tf.ones([2, 2]);
 * assert.equal(await countOps(() => tf.dispose(tf.add(tf.matMul(a, a), a))), 2);
 * a.dispose();
 * ```
 */
export async function countOps(fn: () => void | Promise<void>): Promise<number> {
  const backend = tf.getBackend();
  const info = await tf.profile(async () => {
    await fn();
    return [];
  });
  return info.kernels.filter((k) => tf.getKernel(k.name, backend) !== undefined).length;
}
