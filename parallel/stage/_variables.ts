// Private: the variables a pipeline stage trains, in the order it sends their weights (the coordinator copies them
// back in the same order): its layers' weights and state, the interfaces on the states of its recurrent layers, and
// the interfaces on its layers' outputs up to its boundary's (the output layer has none).
import type { tf } from "../../deps.ts";
import type { Network } from "../../network/network.ts";
import { isRecurrent } from "../../recurrent/recurrent_layer.ts";

/** The variables of layers `lo..hi` of `network` that their stage trains. */
export function stageVariables(network: Network, lo: number, hi: number): tf.Variable[] {
  const last = hi === network.layers.length - 1;
  const layers = network.layers.slice(lo, hi + 1);
  return [
    ...layers.flatMap((l) => [...l.trainable, ...l.state]),
    ...layers.flatMap((l) => isRecurrent(l) ? [...(l.stateInterface?.variables ?? [])] : []),
    ...network.interfaces.slice(lo, last ? hi : hi + 1).flatMap((i) => [...i.variables]),
  ];
}
