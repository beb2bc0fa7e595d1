/**
 * The GEMM ceiling of a feed-forward dense network's training step, from its spec: the matrix products the step
 * makes (each layer's forward product, weight gradient and input gradient, none for the first layer's input; and
 * each interface's own model: a `sg`/`csg` synthesizer's forward and weight gradients, a `local-loss` classifier's
 * too plus the gradient it gives the layer), called straight through BLAS on plain Float32Arrays with nothing in
 * between. A step on one machine cannot be faster than its products alone.
 *
 * @module
 */
import type { Blas } from "../native/blas.ts";
import { isRecord } from "../_validate.ts";
import type { NetworkSpec } from "../network/spec.ts";

/** One sgemm call: `[m, n] = op(A) op(B)` with inner size k. */
export interface Gemm {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
}

/** A chain of dense layers of `widths` (input first): forward, weight and input gradients (the first: `firstDx`). */
function chain(widths: number[], batch: number, firstDx: boolean): Gemm[] {
  const calls: Gemm[] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    const [a, b] = [widths[l]!, widths[l + 1]!];
    calls.push({ transA: false, transB: false, m: batch, n: b, k: a });
    calls.push({ transA: true, transB: false, m: a, n: b, k: batch });
    if (l > 0 || firstDx) calls.push({ transA: false, transB: true, m: batch, n: a, k: b });
  }
  return calls;
}

/** The hidden widths of an interface's own model (`hidden: [64]`), or why they cannot be read. */
function hiddenOf(raw: unknown): number[] | string {
  const hidden = isRecord(raw) ? raw.hidden : undefined;
  if (hidden === undefined) return [];
  if (Array.isArray(hidden) && hidden.every((w) => Number.isInteger(w) && w > 0)) return hidden as number[];
  return `its hidden widths ${JSON.stringify(hidden)} are not a list of positive integers`;
}

/**
 * The sgemm calls of one training step of `spec` on a batch of `batch`, or why it has no GEMM ceiling (a layer
 * that is not dense, an input that is not flat, a forward-unlocked layer, a plugin interface whose products are not
 * known here). Call it on a spec that `buildNetwork` accepts.
 *
 * @example The FCN-3's backprop step: 11 products
 * ```ts
 * import assert from "node:assert/strict";
 * import { specGemms } from "./_gemms.ts";
 *
 * const dense = (units: number) => ({ type: "dense", units, interface: "backprop" });
 * const calls = specGemms({ input: [784], layers: [dense(256), dense(256), dense(256), dense(10)] }, 128);
 * assert.equal(Array.isArray(calls) && calls.length, 11);
 * assert.match(String(specGemms({ input: [28, 28, 1], layers: [{ type: "flatten" }, dense(10)] }, 128)), /flat/);
 * ```
 */
export function specGemms(spec: NetworkSpec, batch: number): Gemm[] | string {
  if (spec.input.length !== 1) return `its input ${JSON.stringify(spec.input)} is not flat (one number)`;
  const widths = [spec.input[0]!];
  for (const [i, layer] of spec.layers.entries()) {
    if (layer.type !== "dense") return `layers[${i}] is of type "${layer.type}", not dense`;
    if (layer.forwardUnlock !== undefined) return `layers[${i}] is forward-unlocked (its input synthesizer)`;
    widths.push(Number(layer.units));
  }
  const classes = widths[widths.length - 1]!;
  const calls = chain(widths, batch, false);
  for (const [i, layer] of spec.layers.slice(0, -1).entries()) {
    const raw = layer.interface ?? "backprop";
    const type = typeof raw === "string" ? raw : raw.type;
    const units = widths[i + 1]!;
    if (type === "backprop") continue;
    const hidden = hiddenOf(raw);
    if (typeof hidden === "string") return `layers[${i}].interface: ${hidden}`;
    if (type === "sg" || type === "csg") {
      calls.push(...chain([units + (type === "csg" ? classes : 0), ...hidden, units], batch, false));
    } else if (type === "local-loss") {
      calls.push(...chain([units, ...hidden, classes], batch, true));
    } else return `layers[${i}].interface is "${type}", whose products are not known here`;
  }
  return calls;
}

/** The floating-point operations of `calls`. */
export const flopsOf = (calls: Gemm[]): number => calls.reduce((s, c) => s + 2 * c.m * c.n * c.k, 0);

/** A function that makes `calls` once through `blas`, on buffers of values in [-0.5, 0.5) made here. */
export function gemmRunner(blas: Blas, calls: Gemm[]): () => void {
  const fill = (n: number) => Float32Array.from({ length: n }, () => Math.random() - 0.5);
  const buffers = calls.map((c) => ({ a: fill(c.m * c.k), b: fill(c.k * c.n), out: fill(c.m * c.n) }));
  return () =>
    calls.forEach((c, i) => {
      const { a, b, out } = buffers[i]!;
      blas.sgemm(c.transA, c.transB, c.m, c.n, c.k, 1, a, c.transA ? c.m : c.k, b, c.transB ? c.k : c.n, 0, out, c.n);
    });
}
