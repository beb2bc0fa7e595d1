/**
 * The checks of `benchSpec`'s options, and the spec under another interface.
 *
 * @module
 */
import type { NetworkSpec } from "../network/spec.ts";

/** `value` (or `fallback` when undefined), unless it is not a whole number in [1, 65536]: a TypeError naming it. */
export function checkCount(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 65536) {
    throw new TypeError(`benchSpec(): ${name} must be a whole number from 1 to 65536, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * `value` (or `fallback` when undefined), unless it is not a non-empty list of distinct names from `known`: a
 * TypeError naming the option and the value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkNames } from "./_variants.ts";
 * assert.deepEqual(checkNames("backends", undefined, ["wasm", "cpu"], ["wasm"]), ["wasm"]);
 * assert.throws(() => checkNames("backends", ["gpu"], ["wasm", "cpu"]), /unknown backend "gpu" \(known: wasm, cpu\)/);
 * ```
 */
export function checkNames(name: string, value: unknown, known: readonly string[], fallback?: string[]): string[] {
  if (value === undefined && fallback !== undefined) return fallback;
  const singular = name.replace(/s$/, "");
  if (!Array.isArray(value) || value.length === 0) {
    throw new TypeError(`benchSpec(): ${name} must be a non-empty list of ${name}, got ${JSON.stringify(value)}`);
  }
  for (const [i, v] of value.entries()) {
    if (typeof v !== "string" || !known.includes(v)) {
      throw new TypeError(
        `benchSpec(): ${name}[${i}] is an unknown ${singular} ${JSON.stringify(v)} (known: ${known.join(", ")})`,
      );
    }
    if (value.indexOf(v) !== i) throw new TypeError(`benchSpec(): ${name} names "${v}" twice`);
  }
  return value;
}

/**
 * `spec` with interface `iface` on each layer `replaced(i)` says: its `interface`, or in a sequence spec its
 * `stateInterface` (which `"backprop"` removes: plain truncated BPTT). The output layer keeps none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withInterface } from "./_variants.ts";
 * const spec = { input: [4], layers: [{ type: "dense", units: 8 }, { type: "dense", units: 2 }] };
 * assert.deepEqual(withInterface(spec, "sg", false, () => true).layers[0], { type: "dense", units: 8, interface: "sg" });
 * ```
 */
export function withInterface(
  spec: NetworkSpec,
  iface: string,
  sequence: boolean,
  replaced: (i: number) => boolean,
): NetworkSpec {
  const last = spec.layers.length - 1;
  return {
    ...spec,
    layers: spec.layers.map((layer, i) => {
      if (i === last || !replaced(i)) return layer;
      if (!sequence) return { ...layer, interface: iface };
      const { stateInterface: _, ...rest } = layer;
      return iface === "backprop" ? rest : { ...rest, stateInterface: iface };
    }),
  };
}

/**
 * The interfaces a spec names, as `compare` labels a spec's row: its interfaces other than `backprop`, joined by
 * `+` (`csg`, `sg+csg`), or `backprop` when there are none. For a sequence spec, its state interfaces.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { interfaceLabel } from "./_variants.ts";
 * const dense = (iface?: string) => ({ type: "dense", units: 8, ...(iface ? { interface: iface } : {}) });
 * assert.equal(interfaceLabel({ input: [4], layers: [dense("csg"), dense(), dense()] }, false), "csg");
 * assert.equal(interfaceLabel({ input: [4], layers: [dense(), dense()] }, false), "backprop");
 * ```
 */
export function interfaceLabel(spec: NetworkSpec, sequence: boolean): string {
  const named = spec.layers.slice(0, -1).flatMap((l) => {
    const raw = sequence ? l.stateInterface : l.interface;
    return raw === undefined ? [] : [typeof raw === "string" ? raw : String((raw as { type?: unknown }).type)];
  });
  const kinds = [...new Set(named.filter((t) => t !== "backprop"))];
  return kinds.length === 0 ? "backprop" : kinds.join("+");
}
