/**
 * Truncated backpropagation through time, with or without a synthetic gradient at each window's end.
 *
 * A batch of sequences runs in windows of `truncation` steps; the core's state carries forward across windows (and,
 * with `carryIn`/`carryOut`, across batches). Each window updates the model once from its own loss. Plain truncated BPTT stops
 * the gradient at the window's end. With a decoupling interface on the recurrent state (the DNI paper's RNN setup),
 * the window's last state `[h, c]` is the trigger: `send` predicts dL_future/d(state), which is added to the
 * window's own gradient there; the gradient that the window then passes back to its initial state, which includes
 * that prediction carried through the window, is the message for the previous boundary (`receive`): the
 * synthesizer's bootstrapped regression target.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { StepContext } from "../interfaces/interface.ts";
import { showShape } from "../layers/layer.ts";
import type { Network } from "../network/network.ts";
import { type FiniteCheck, isRecurrent } from "./recurrent_layer.ts";

/** A batch of sequences as tensors. */
export interface SequenceTensors {
  /** Inputs `[B, time, features]`. */
  x: tf.Tensor3D;
  /** Targets `[B, time, outputs]`. */
  targets: tf.Tensor3D;
  /** `[B, time]`: 1 where a step's target counts. */
  mask: tf.Tensor2D;
  /** One label per sequence, one-hot `[B, outputs]`: the context of a conditioned interface (`csg`), when any. */
  labels?: tf.Tensor2D;
}

/** Options of `trainSequenceBatch`. */
export interface TruncationOptions {
  /** Steps per window, T >= 1. */
  truncation: number;
  /**
   * `"window"` (the default, as in the paper): each window updates the network at once. `"sequence"`: the
   * windows' gradients are summed and applied once after the batch (for the oracle test: with the true future
   * gradient at every boundary this is exactly one full-BPTT step).
   */
  updates?: "window" | "sequence";
  /**
   * The batch continues the streams of the previous one (text): the recurrent layers start from the state they
   * carried out of it. Left out: from zeros. @default {false}
   */
  carryIn?: boolean;
  /**
   * The next batch continues these streams: the recurrent layers keep their state (and the last boundary, waiting
   * for its message, which the next batch's first window sends). Left out: the state is dropped after the batch
   * and its last boundary predicts nothing. @default {false}
   */
  carryOut?: boolean;
}

/** What one batch of truncated BPTT measured (before each window's update). */
export interface SequenceStepResult {
  /** The batch-mean loss of a sequence, in nats (the sum over its masked steps, averaged over the batch). */
  loss: number;
  /** Cross-entropy of the masked steps in bits, summed over the batch. */
  bits: number;
  /** Masked steps in the batch. */
  steps: number;
  /** Masked steps predicted right. */
  correct: number;
  /** Windows run (each one an update and a step of the network). */
  windows: number;
}

/**
 * Trains a sequence network on one batch of sequences with truncated BPTT of window `truncation`: each window is
 * one `trainRange` over every layer, on one row per sequence and step, the recurrent layers carrying their state
 * from window to window.
 *
 * @throws {RangeError} For a feed-forward network, a batch of the wrong rank or shape, no steps, or
 *   `truncation` < 1.
 * @throws {DivergenceError} If a loss or gradient is NaN or infinite (the network's guard, policy `"error"`).
 *
 * @example Sequences of ten steps in windows of three, with DNI on the state: no tensor left behind
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetwork, tf, trainSequenceBatch } from "../mod.ts";
 *
 * const net = buildNetwork({
 *   input: [3],
 *   layers: [{ type: "lstm", units: 8, stateInterface: "sg" }, { type: "dense", units: 2 }],
 *   loss: "sigmoid-cross-entropy",
 * });
 * const batch = {
 *   x: tf.randomUniform([4, 10, 3]) as tf.Tensor3D,
 *   targets: tf.round(tf.randomUniform([4, 10, 2])) as tf.Tensor3D,
 *   mask: tf.ones([4, 10]) as tf.Tensor2D,
 * };
 * trainSequenceBatch(net, batch, { truncation: 3 }); // the optimizers make their slots
 * const before = tf.memory().numTensors;
 * const r = trainSequenceBatch(net, batch, { truncation: 3 });
 * assert.equal(r.windows, 4);
 * assert.equal(r.steps, 40);
 * assert.equal(tf.memory().numTensors, before);
 * tf.dispose([batch.x, batch.targets, batch.mask]);
 * net.dispose();
 * ```
 */
export function trainSequenceBatch(
  network: Network,
  batch: SequenceTensors,
  options: TruncationOptions,
): SequenceStepResult {
  checkSequenceTensors(network, batch);
  const truncation = checkTruncation(options.truncation);
  const [size, time] = batch.x.shape;
  const windows = Math.ceil(time / truncation);
  const recurrent = network.layers.filter(isRecurrent);
  const n = network.layers.length;
  const carryIn = options.carryIn === true, carryOut = options.carryOut === true;
  const summed: tf.Tensor[][] | undefined = options.updates === "sequence" ? [] : undefined;
  const check: FiniteCheck = (tensors, describe, site) => network.checkFinite(tensors, describe, site);
  if (!carryIn) { for (const r of recurrent) r.resetState(); }
  let sums = tf.zeros([4]); // loss, bits, steps, correct
  try {
    for (let w = 0; w < windows; w++) {
      const t0 = w * truncation, length = Math.min(truncation, time - t0);
      const step = network.steps;
      network.steps = step + 1;
      const stateContext: StepContext = { step, ...(batch.labels ? { labels: batch.labels } : {}) };
      const future = w < windows - 1 || carryOut;
      for (const r of recurrent) r.beginWindow({ sequences: size, time: length, future, context: stateContext, check });
      const next = tf.tidy(() => {
        const { x, targets, mask } = windowSlice(batch, t0, length);
        const rows = tf.reshape(x, [size * length, network.inputUnits]);
        const context: StepContext = { step, labels: targets };
        try {
          const r = network.trainRange(0, n - 1, rows, context, {
            window: { mask, sequences: size },
            ...(summed ? { onGradients: (j: number, g: tf.Tensor[]) => accumulate(summed, j, g) } : {}),
          });
          return tf.add(sums, tf.stack([r.loss!, r.bits!, r.counted!, r.correct!]));
        } finally {
          network.release(step, 0, n - 2);
        }
      });
      sums.dispose();
      sums = next;
      for (const r of recurrent) r.endWindow();
    }
    if (summed) network.applyGradients(summed, false);
    const [loss, bits, steps, correct] = sums.dataSync();
    return { loss: loss!, bits: bits!, steps: steps!, correct: correct!, windows };
  } catch (error) {
    for (const r of recurrent) r.resetState();
    throw error;
  } finally {
    sums.dispose();
    if (summed) tf.dispose(summed.flat());
    if (!carryOut) { for (const r of recurrent) r.resetState(); }
  }
}

// Adds a window's gradients of layer j to the sums (kept outside the window's tidy).
function accumulate(summed: tf.Tensor[][], j: number, gradients: tf.Tensor[]): void {
  const before = summed[j];
  summed[j] = gradients.map((g, k) => tf.keep(before ? tf.add(before[k]!, g) : g.clone()));
  if (before) tf.dispose(before);
}

/**
 * Steps `t0 .. t0 + length - 1` of a batch: inputs `[B, length, features]`, and targets and mask flattened to one row
 * per sequence and step (`[B * length, outputs]`, `[B * length]`), as `stepLoss` takes them. Call inside `tf.tidy`.
 */
export function windowSlice(
  batch: SequenceTensors,
  t0: number,
  length: number,
): { x: tf.Tensor3D; targets: tf.Tensor2D; mask: tf.Tensor1D } {
  const [size, , features] = batch.x.shape;
  const outputs = batch.targets.shape[2];
  return {
    x: tf.slice(batch.x, [0, t0, 0], [size, length, features]),
    targets: tf.reshape(tf.slice(batch.targets, [0, t0, 0], [size, length, outputs]), [size * length, outputs]),
    mask: tf.reshape(tf.slice(batch.mask, [0, t0], [size, length]), [size * length]),
  };
}

/** `truncation`, unless it is not an integer >= 1 (a RangeError naming it). */
export function checkTruncation(truncation: number): number {
  if (!Number.isInteger(truncation) || truncation < 1) {
    throw new RangeError(`truncation must be an integer >= 1 (steps per window), got ${truncation}`);
  }
  return truncation;
}

/** Throws a RangeError naming the tensor and its shape unless the batch fits the model. */
export function checkSequenceTensors(network: Network, batch: SequenceTensors): void {
  if (network.kind !== "sequence") {
    throw new RangeError(
      "This network is feed-forward: batches of sequences train a sequence network (an lstm first, input [features])",
    );
  }
  const { x, targets, mask } = batch;
  const features = network.inputUnits, outputs = network.outputUnits;
  if (x.rank !== 3 || x.shape[2] !== features) {
    throw new RangeError(`Sequence inputs must have shape [B, time, ${features}], got ${showShape(x.shape)}`);
  }
  const [size, time] = x.shape;
  if (size < 1 || time < 1) {
    throw new RangeError(`A batch of sequences needs B >= 1 and time >= 1, got ${showShape(x.shape)}`);
  }
  if (
    targets.rank !== 3 || targets.shape[0] !== size || targets.shape[1] !== time || targets.shape[2] !== outputs
  ) {
    throw new RangeError(
      `Sequence targets must have shape [${size}, ${time}, ${outputs}], got ${showShape(targets.shape)}`,
    );
  }
  if (mask.rank !== 2 || mask.shape[0] !== size || mask.shape[1] !== time) {
    throw new RangeError(`The sequence mask must have shape [${size}, ${time}], got ${showShape(mask.shape)}`);
  }
}
