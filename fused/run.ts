/**
 * Running a fused kernel (see `fused/names.ts`) when the active backend registers one.
 *
 * @module
 */
import { tf } from "../deps.ts";

type KernelInputs = Parameters<ReturnType<typeof tf.engine>["runKernel"]>[1];

/** Whether the active backend registers the kernel `name`. */
export function hasFused(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

/**
 * Runs the kernel `name` when the active backend registers it and no gradient tape is recording: the fused kernels
 * have no gradients of their own, so under `tf.grad` and friends the caller's composite ops run (and autodiff sees
 * them).
 *
 * @returns Its outputs (always an array), or `undefined` when the backend has no such kernel or a tape records: the
 *   caller then computes the same thing with composite ops.
 */
export function runFused(
  name: string,
  inputs: Record<string, tf.Tensor>,
  attrs: Record<string, number | boolean> = {},
): tf.Tensor[] | undefined {
  if (!hasFused(name) || tf.engine().isTapeOn()) return undefined;
  const out = tf.engine().runKernel(name, inputs as unknown as KernelInputs, attrs);
  return Array.isArray(out) ? out : [out];
}
