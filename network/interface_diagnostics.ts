/**
 * The one record of an interface's numbers, from where the interface runs (this thread, a pipeline stage in a
 * Worker or a stage process over NATS) through the gradient probe to each epoch's record in the `History`.
 *
 * @module
 */
import { hasDiagnostics, type InterfaceBase } from "../interfaces/interface.ts";

/**
 * One interface's diagnostics for one epoch: its own numbers (`diagnostics()`, e.g. `synthesizerLoss`) as the
 * strategy gathered them where it ran, and, after the epoch, the probe of its synthetic against the true gradient.
 */
export interface InterfaceDiagnostics {
  /** Index of the bound layer. */
  layer: number;
  /** Interface type. */
  type: string;
  /**
   * Where the interface sits: left out, on the layer's output; `"state"`, on a recurrent layer's state at each
   * truncation window's end (`stateInterface`).
   */
  on?: "state";
  /** Cosine similarity of synthetic and true gradient on the probe batch. */
  cosine?: number;
  /** ||synthetic|| / ||true|| on the probe batch. */
  normRatio?: number;
  /** Cosine similarity of the bound layer's kernel gradient under the synthetic and the true gradient. */
  weightCosine?: number;
  /** Further numbers the interface reports, e.g. `synthesizerLoss`. */
  [name: string]: number | string | undefined;
}

/**
 * The own numbers of the interfaces that report them (`hasDiagnostics`), `interfaces[k]` bound to layer `from + k`,
 * for a strategy that gathers them where the interfaces run. Reading them resets them.
 *
 * @example
 * ```ts
 * import { Backprop } from "../mod.ts";
 * import { interfaceDiagnostics } from "./interface_diagnostics.ts";
 * console.assert(interfaceDiagnostics([new Backprop()]).length === 0); // backprop reports nothing
 * ```
 */
export function interfaceDiagnostics(interfaces: readonly InterfaceBase[], from = 0): InterfaceDiagnostics[] {
  return interfaces.flatMap((iface, k) =>
    hasDiagnostics(iface) ? [{ layer: from + k, type: iface.type, ...iface.diagnostics() }] : []
  );
}

/**
 * One entry per interface (per layer, and per recurrent state), ordered by layer (a layer's output before its
 * state): the entries of `lists` for the same interface merged in order (a later number
 * of the same name replaces an earlier one). The entries given are not changed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mergeDiagnostics } from "./interface_diagnostics.ts";
 *
 * const own = [{ layer: 2, type: "sg", synthesizerLoss: 0.5 }, { layer: 0, type: "sg", synthesizerLoss: 0.1 }];
 * const probe = [{ layer: 2, type: "sg", cosine: 0.9 }];
 * assert.deepEqual(mergeDiagnostics(own, probe), [
 *   { layer: 0, type: "sg", synthesizerLoss: 0.1 },
 *   { layer: 2, type: "sg", synthesizerLoss: 0.5, cosine: 0.9 },
 * ]);
 * ```
 */
export function mergeDiagnostics(...lists: readonly (readonly InterfaceDiagnostics[])[]): InterfaceDiagnostics[] {
  const byInterface = new Map<string, InterfaceDiagnostics>();
  for (const list of lists) {
    for (const entry of list) {
      const key = `${entry.layer}${entry.on ?? ""}`;
      const merged = byInterface.get(key);
      if (merged) Object.assign(merged, entry);
      else byInterface.set(key, { ...entry });
    }
  }
  const order = (d: InterfaceDiagnostics) => 2 * d.layer + (d.on === "state" ? 1 : 0);
  return [...byInterface.values()].sort((a, b) => order(a) - order(b));
}
