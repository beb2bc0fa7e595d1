// Private: a network's spec and its readable outline, from its parts.
import type { NeuralInterface } from "../interfaces/interface.ts";
import { type Layer, type Shape, showShape } from "../layers/layer.ts";
import type { Loss } from "../losses/loss.ts";
import type { OptimizerConfig } from "../optimizers/optimizer.ts";
import type { LayerSpec, NetworkSpec } from "./spec.ts";
import type { InputSynthesizer } from "./input_synthesizer.ts";

/** The spec of a network built from `base` (its layers left out) with these parts. */
export function specOf(
  base: NetworkSpec,
  layers: readonly Layer[],
  interfaces: readonly NeuralInterface[],
  layerOptimizers: readonly (OptimizerConfig | undefined)[],
  inputSynthesizers: readonly (InputSynthesizer | undefined)[] = [],
): NetworkSpec {
  const specs: LayerSpec[] = layers.map((layer, i) => {
    const spec: LayerSpec = layer.getConfig();
    const iface = interfaces[i];
    // A layer without weights keeps the default backprop, which its spec need not name.
    if (iface && (layer.trainable.length > 0 || iface.type !== "backprop")) spec.interface = iface.getConfig();
    const optimizer = layerOptimizers[i];
    if (optimizer) spec.optimizer = optimizer;
    const unlock = inputSynthesizers[i];
    if (unlock) spec.forwardUnlock = unlock.getConfig();
    return spec;
  });
  return structuredClone({ ...base, layers: specs });
}

/** `Network(input [784], loss ...)` and one line per layer with its interface. */
export function outlineOf(network: {
  inputShape: Shape;
  loss: Loss;
  layers: readonly Layer[];
  interfaces: readonly NeuralInterface[];
  inputSynthesizers?: readonly (InputSynthesizer | undefined)[];
}): string {
  const lines = network.layers.map((layer, i) => {
    const iface = network.interfaces[i];
    const unlocked = network.inputSynthesizers?.[i] ? " + forward unlock" : "";
    return `  ${i}: ${layer}${iface ? `  -> [${iface.type}]${unlocked}` : "  -> loss"}`;
  });
  return `Network(input ${showShape(network.inputShape)}, loss ${network.loss.type})\n${lines.join("\n")}`;
}
