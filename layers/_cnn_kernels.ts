// Private: the conv net's fused kernels (batch norm, max pooling with argmax; fused/names.ts), run through
// fused/run.ts when the backend registers them (native), with a switch that keeps the composite path reachable on
// that backend too, for side-by-side timings (bench/cnn_speed.ts) and tests.
import type { tf } from "../deps.ts";
import { runFused } from "../fused/run.ts";

let enabled = true;

/** Turns the conv net's fused kernels on or off (on by default); returns the previous setting. */
export function setCnnKernels(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/** `runFused(name, ...)` when the kernels are on, else `undefined` (the caller's composite ops run). */
export function runCnnKernel(
  name: string,
  inputs: Record<string, tf.Tensor>,
  attrs: Record<string, number | boolean> = {},
): tf.Tensor[] | undefined {
  return enabled ? runFused(name, inputs, attrs) : undefined;
}
