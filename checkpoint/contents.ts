/**
 * What a checkpoint holds of a network, by name: its variables (`layers[0].kernel`, `layers[1].batchNorm.movingMean`,
 * `interfaces[0].synthesizer.output.kernel`, `layers[0].forwardUnlock.output.kernel`) and its optimizer state
 * (`layers[0].optimizer.kernel.m`, `layers[0].optimizer.steps`, `interfaces[0].synthesizer.optimizer.steps`,
 * `interfaces[0].random`, `layers[0].forwardUnlock.optimizer.steps`). A recurrent layer's interface on its state at a
 * window's end is saved under `layers[j].stateInterface.` (`layers[0].stateInterface.synthesizer.output.kernel`,
 * `layers[0].stateInterface.synthesizer.optimizer.steps`); its DNI + Aux head is among the layer's own variables
 * (`layers[0].aux.kernel`).
 *
 * @module
 */
import type { tf } from "../deps.ts";
import { variableNames } from "../layers/layer.ts";
import type { Network } from "../network/network.ts";
import { type DecouplingInterface, hasTrainingState, type InterfaceBase } from "../interfaces/interface.ts";
import { optimizerState, prefixState, setOptimizerState, subState, type TrainingState } from "../optimizers/state.ts";
import { isRecurrent } from "../recurrent/recurrent_layer.ts";

/** A variable of the network and its name in a checkpoint. */
export interface NamedVariable {
  /** Its path, e.g. `layers[0].kernel`. */
  name: string;
  /** The variable. */
  variable: tf.Variable;
}

/**
 * Every variable of `network` with its name: each layer's trainable variables and state, then each interface's
 * variables, then each input synthesizer's (a forward-unlocked layer's), then each recurrent layer's state
 * interface's.
 *
 * @throws {TypeError} If two variables get the same name (a plugin naming its variables twice).
 *
 * @example
 * ```ts
 * import { buildNetwork } from "../network/build.ts";
 * import { networkVariables } from "./contents.ts";
 * const net = buildNetwork({ input: [4], layers: [{ type: "dense", units: 3, interface: "sg" }, { type: "dense", units: 2 }] });
 * console.assert(networkVariables(net).map((v) => v.name).join() ===
 *   "layers[0].kernel,layers[0].bias,layers[1].kernel,layers[1].bias," +
 *   "interfaces[0].synthesizer.output.kernel,interfaces[0].synthesizer.output.bias");
 * net.dispose();
 * ```
 */
export function networkVariables(network: Network): NamedVariable[] {
  const named: NamedVariable[] = [];
  network.layers.forEach((layer, j) => {
    const names = variableNames(layer);
    [...layer.trainable, ...layer.state].forEach((variable, k) => {
      named.push({ name: `layers[${j}].${names[k]}`, variable });
    });
  });
  const pushInterface = (iface: InterfaceBase, prefix: string) => {
    const own = iface.variableNames;
    const names = own && own.length === iface.variables.length ? own : iface.variables.map((_, k) => `variables[${k}]`);
    iface.variables.forEach((variable, k) => named.push({ name: `${prefix}${names[k]}`, variable }));
  };
  network.interfaces.forEach((iface, i) => pushInterface(iface, `interfaces[${i}].`));
  network.inputSynthesizers.forEach((unlock, j) => {
    unlock?.variables.forEach((variable, k) =>
      named.push({ name: `layers[${j}].forwardUnlock.${unlock.variableNames[k]}`, variable })
    );
  });
  stateInterfaces(network).forEach(({ j, iface }) => pushInterface(iface, `layers[${j}].stateInterface.`));
  const seen = new Set<string>();
  for (const { name } of named) {
    if (seen.has(name)) throw new TypeError(`Two variables of the network are named ${name}`);
    seen.add(name);
  }
  return named;
}

/**
 * The network's optimizer state: each layer's optimizer (`layers[j].optimizer...`), each interface's training
 * state (`interfaces[i]...`, e.g. its synthesizer's optimizer and its random stream), each input synthesizer's
 * optimizer (`layers[j].forwardUnlock.optimizer...`) and each recurrent layer's state interface's training state
 * (`layers[j].stateInterface...`).
 *
 * @throws {TypeError} If an optimizer cannot export its state.
 */
export function networkOptimizerState(network: Network): TrainingState {
  const parts: TrainingState[] = network.layers.map((layer, j) =>
    optimizerState(
      network.optimizers[j]!,
      layer.trainable,
      variableNames(layer).slice(0, layer.trainable.length),
      `layers[${j}].optimizer`,
    )
  );
  network.interfaces.forEach((iface, i) => {
    if (hasTrainingState(iface)) parts.push(prefixState(iface.getTrainingState(), `interfaces[${i}].`));
  });
  network.inputSynthesizers.forEach((unlock, j) => {
    if (unlock) parts.push(prefixState(unlock.getTrainingState(), `layers[${j}].forwardUnlock.`));
  });
  stateInterfaces(network).forEach(({ j, iface }) => {
    if (hasTrainingState(iface)) parts.push(prefixState(iface.getTrainingState(), `layers[${j}].stateInterface.`));
  });
  return {
    arrays: parts.flatMap((p) => p.arrays),
    counters: Object.assign({}, ...parts.map((p) => p.counters)),
  };
}

/** Gives the network back the optimizer state that `networkOptimizerState` exported (same names). */
export function setNetworkOptimizerState(network: Network, state: TrainingState): void {
  network.layers.forEach((layer, j) =>
    setOptimizerState(
      network.optimizers[j]!,
      layer.trainable,
      variableNames(layer).slice(0, layer.trainable.length),
      `layers[${j}].optimizer`,
      state,
    )
  );
  network.interfaces.forEach((iface, i) => {
    if (hasTrainingState(iface)) iface.setTrainingState(subState(state, `interfaces[${i}].`));
  });
  network.inputSynthesizers.forEach((unlock, j) => {
    unlock?.setTrainingState(subState(state, `layers[${j}].forwardUnlock.`));
  });
  stateInterfaces(network).forEach(({ j, iface }) => {
    if (hasTrainingState(iface)) iface.setTrainingState(subState(state, `layers[${j}].stateInterface.`));
  });
}

/** A recurrent layer's carried state and its name in a checkpoint. */
export interface NamedState {
  /** `layers[j].carried`. */
  name: string;
  /** The layer's index. */
  layer: number;
  /** The state `[h, c]`, `[B, 2 units]` (the layer's own tensor: do not dispose). */
  state: tf.Tensor2D;
}

/** The state each recurrent layer of `network` carries into the next batch (text streams), where it holds one. */
export function carriedStates(network: Network): NamedState[] {
  return network.layers.flatMap((layer, j) =>
    isRecurrent(layer) && layer.carried !== undefined
      ? [{ name: `layers[${j}].carried`, layer: j, state: layer.carried }]
      : []
  );
}

// Each recurrent layer's interface on its state at a window's end, with the layer's index.
function stateInterfaces(network: Network): { j: number; iface: DecouplingInterface }[] {
  return network.layers.flatMap((layer, j) =>
    isRecurrent(layer) && layer.stateInterface ? [{ j, iface: layer.stateInterface }] : []
  );
}
