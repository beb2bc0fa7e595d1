/**
 * A network's summary, as Keras users know it: one row per layer with its output shape and parameter count, and the
 * interface bound to it with its own parameters (a synthesizer's, a local classifier's) counted apart, since they
 * are extra work that the network does not keep for inference.
 *
 * @module
 */
import { isRecurrent } from "../recurrent/recurrent_layer.ts";
import { showShape } from "../layers/layer.ts";
import type { Network } from "./network.ts";

/** One row of a summary. */
export interface SummaryRow {
  /** The layer's index. */
  index: number;
  /** The layer, as its `toString()` prints it (or its type). */
  layer: string;
  /** Output shape of one example, e.g. `[256]`. */
  outputShape: number[];
  /** The layer's trainable parameters. */
  parameters: number;
  /** The interface bound to its output (`"loss"` for the output layer), `+ forward unlock` where it is unlocked. */
  interface: string;
  /** The interface's own parameters (a synthesizer's weights) and its input synthesizer's; 0 for stateless ones. */
  interfaceParameters: number;
}

/** What `summarize` returns. */
export interface NetworkSummary {
  /** One row per layer. */
  rows: SummaryRow[];
  /** The layers' trainable parameters: the network. */
  parameters: number;
  /** The interfaces' parameters: synthesizers, local classifiers, input synthesizers. */
  interfaceParameters: number;
}

/**
 * The summary of a network.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetwork, summarize, summaryText } from "../mod.ts";
 *
 * const net = buildNetwork({
 *   input: [784],
 *   layers: [{ type: "dense", units: 256, activation: "relu", interface: "csg" }, { type: "dense", units: 10 }],
 * });
 * const summary = summarize(net);
 * assert.equal(summary.parameters, 784 * 256 + 256 + 256 * 10 + 10);
 * assert.equal(summary.interfaceParameters, (256 + 10) * 256 + 256); // a linear synthesizer on [h, labels]
 * assert.match(summaryText(summary), /total: 203,530 parameters in layers, 68,352 in interfaces/);
 * net.dispose();
 * ```
 */
export function summarize(network: Network): NetworkSummary {
  const count = (variables: readonly { size: number }[]) => variables.reduce((n, v) => n + v.size, 0);
  const rows = network.layers.map((layer, index): SummaryRow => {
    const iface = network.interfaces[index];
    const unlock = network.inputSynthesizers[index];
    // A recurrent layer's interface on its state, and its DNI + Aux head, are trained alongside, not needed to predict.
    const state = isRecurrent(layer)
      ? [...(layer.stateInterface?.variables ?? []), ...(layer.aux?.trainable ?? [])]
      : [];
    return {
      index,
      layer: String(layer) === "[object Object]" ? layer.type : String(layer),
      outputShape: [...layer.outputShape],
      parameters: count(layer.trainable) - count(isRecurrent(layer) ? layer.aux?.trainable ?? [] : []),
      interface: iface ? `${iface.type}${unlock ? " + forward unlock" : ""}` : "loss",
      interfaceParameters: (iface ? count(iface.variables) : 0) + (unlock ? count(unlock.variables) : 0) +
        count(state),
    };
  });
  return {
    rows,
    parameters: rows.reduce((n, r) => n + r.parameters, 0),
    interfaceParameters: rows.reduce((n, r) => n + r.interfaceParameters, 0),
  };
}

/**
 * The summary as an aligned text table with a total line.
 *
 * @example
 * ```ts
 * import { summaryText } from "./summary.ts";
 * const text = summaryText({
 *   rows: [{ index: 0, layer: "dense(4 -> 2, linear)", outputShape: [2], parameters: 10, interface: "loss", interfaceParameters: 0 }],
 *   parameters: 10,
 *   interfaceParameters: 0,
 * });
 * console.assert(text.endsWith("total: 10 parameters in layers, 0 in interfaces"));
 * ```
 */
export function summaryText(summary: NetworkSummary): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const table = [
    ["#", "layer", "output", "parameters", "interface", "its parameters"],
    ...summary.rows.map((r) => [
      String(r.index),
      r.layer,
      showShape(r.outputShape),
      n(r.parameters),
      r.interface,
      n(r.interfaceParameters),
    ]),
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  const lines = table.map((row) =>
    row.map((cell, c) => c === 3 || c === 5 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)).join("  ")
      .trimEnd()
  );
  return [
    ...lines,
    `total: ${n(summary.parameters)} parameters in layers, ${n(summary.interfaceParameters)} in interfaces`,
  ].join("\n");
}
