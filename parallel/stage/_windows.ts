// Private: a sequence network's window in a pipeline stage (the coordinator cuts the windows:
// `../schedule/_window_items.ts`). A stage sets up its recurrent layers for the window (`beginWindows`), makes the
// targets and mask of its labels (`windowTargets`), and carries the state on (`endWindows`).
import { tf } from "../../deps.ts";
import type { Network } from "../../network/network.ts";
import { isRecurrent, type RecurrentLayer } from "../../recurrent/recurrent_layer.ts";
import { NO_TARGET, type WindowMeta } from "../protocol.ts";

/** The recurrent layers of layers `lo..hi`. */
export function recurrentLayers(network: Network, lo: number, hi: number): RecurrentLayer[] {
  return network.layers.slice(lo, hi + 1).filter(isRecurrent);
}

/**
 * Sets the recurrent layers of `lo..hi` up for the window of `step` (from zeros, on a fresh batch). Returns the
 * tensors it made, for the caller to free after the window.
 */
export function beginWindows(network: Network, lo: number, hi: number, step: number, w: WindowMeta): tf.Tensor[] {
  const recurrent = recurrentLayers(network, lo, hi);
  if (w.fresh) { for (const r of recurrent) r.resetState(); }
  const labels = w.sequenceLabels ? oneHot(w.sequenceLabels, network.outputUnits) : undefined;
  const context = { step, ...(labels ? { labels } : {}) };
  const check = network.checkFinite.bind(network);
  for (const r of recurrent) {
    r.beginWindow({ sequences: w.sequences, time: w.time, future: w.future, context, check });
  }
  return labels ? [labels] : [];
}

/** Ends the window in the recurrent layers of `lo..hi` (their state carries on). */
export function endWindows(network: Network, lo: number, hi: number): void {
  for (const r of recurrentLayers(network, lo, hi)) r.endWindow();
}

/** A window's one-hot targets (zero rows where there is no target) and its mask. */
export function windowTargets(labels: Uint8Array, classes: number): { targets: tf.Tensor2D; mask: tf.Tensor1D } {
  const mask = Float32Array.from(labels, (l) => l === NO_TARGET ? 0 : 1);
  return { targets: oneHot(labels, classes), mask: tf.tensor1d(mask) };
}

// One-hot rows of `labels`, zero rows for NO_TARGET.
function oneHot(labels: Uint8Array, classes: number): tf.Tensor2D {
  const values = new Float32Array(labels.length * classes);
  labels.forEach((l, i) => {
    if (l !== NO_TARGET) values[i * classes + l] = 1;
  });
  return tf.tensor2d(values, [labels.length, classes]);
}
