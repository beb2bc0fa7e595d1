/**
 * The own numbers of the interfaces on recurrent states (e.g. `synthesizerLoss`), as `InterfaceDiagnostics` entries
 * marked `on: "state"`, for the strategy that runs them.
 *
 * @module
 */
import { hasDiagnostics } from "../interfaces/interface.ts";
import type { InterfaceDiagnostics } from "../network/interface_diagnostics.ts";
import type { Layer } from "../layers/layer.ts";
import { isRecurrent } from "./recurrent_layer.ts";

/**
 * The numbers of each recurrent layer's state interface that reports them, `layers[k]` numbered `from + k`. Reading
 * them resets them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetwork } from "../mod.ts";
 * import { stateDiagnostics } from "./state_diagnostics.ts";
 * const net = buildNetwork({ input: [3], layers: [{ type: "lstm", units: 4, stateInterface: "sg" }, { type: "dense", units: 2 }] });
 * assert.deepEqual(stateDiagnostics(net).map((d) => [d.layer, d.on]), [[0, "state"]]);
 * net.dispose();
 * ```
 */
export function stateDiagnostics(network: { layers: readonly Layer[] }, from = 0): InterfaceDiagnostics[] {
  return network.layers.flatMap((layer, k) => {
    if (!isRecurrent(layer) || !layer.stateInterface || !hasDiagnostics(layer.stateInterface)) return [];
    return [{ layer: from + k, type: layer.stateInterface.type, on: "state", ...layer.stateInterface.diagnostics() }];
  });
}
