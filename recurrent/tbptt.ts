/**
 * Truncated backpropagation through time, with or without a synthetic gradient at each window's end.
 *
 * A batch of sequences runs in windows of `truncation` steps; the core's state carries forward across windows (and,
 * with `carry`, across batches). Each window updates the model once from its own loss. Plain truncated BPTT stops
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
import { type RecurrentModel, splitState } from "./model.ts";
import { stepLoss } from "./step_loss.ts";

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

/** What carries from one batch to the next when the batches continue the same streams (text). */
export interface Carry {
  /** The core's state `[B, 2 units]` (h then c) after the previous batch. */
  state: tf.Tensor2D;
  /** The previous batch's last boundary, waiting for its message (when the model has a state interface). */
  pending?: { trigger: tf.Tensor2D; context: StepContext };
}

/** Options of `trainSequenceBatch`. */
export interface TruncationOptions {
  /** Steps per window, T >= 1. */
  truncation: number;
  /**
   * `"window"` (the default, as in the paper): each window updates the model at once. `"sequence"`: the windows'
   * gradients are summed and applied once after the batch (for the oracle test: with the true future gradient at
   * every boundary this is exactly one full-BPTT step).
   */
  updates?: "window" | "sequence";
  /** The carry from the previous batch of the same streams (the call takes it over and frees it). */
  carry?: Carry;
  /** Keep the state (and the pending boundary) for the next batch: returned as `carry`. @default {false} */
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
  /** Windows run. */
  windows: number;
  /** The state for the next batch, with `carryOut`. */
  carry?: Carry;
}

/**
 * Trains `model` on one batch of sequences with truncated BPTT of window `truncation`.
 *
 * @throws {RangeError} For a batch of the wrong rank or shape, no steps, or `truncation` < 1.
 * @throws {DivergenceError} If a loss or gradient is NaN or infinite (the model's guard, policy `"error"`).
 *
 * @example Sequences of ten steps in windows of three, with DNI on the state: no tensor left behind
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildRecurrentModel, tf, trainSequenceBatch } from "../mod.ts";
 *
 * const model = buildRecurrentModel({
 *   input: [3],
 *   layers: [{ type: "lstm", units: 8, interface: "sg" }, { type: "dense", units: 2 }],
 *   loss: "sigmoid-cross-entropy",
 * });
 * const batch = {
 *   x: tf.randomUniform([4, 10, 3]) as tf.Tensor3D,
 *   targets: tf.round(tf.randomUniform([4, 10, 2])) as tf.Tensor3D,
 *   mask: tf.ones([4, 10]) as tf.Tensor2D,
 * };
 * trainSequenceBatch(model, batch, { truncation: 3 }); // the optimizers make their slots
 * const before = tf.memory().numTensors;
 * const r = trainSequenceBatch(model, batch, { truncation: 3 });
 * assert.equal(r.windows, 4);
 * assert.equal(r.steps, 40);
 * assert.equal(tf.memory().numTensors, before);
 * tf.dispose([batch.x, batch.targets, batch.mask]);
 * model.dispose();
 * ```
 */
export function trainSequenceBatch(
  model: RecurrentModel,
  batch: SequenceTensors,
  options: TruncationOptions,
): SequenceStepResult {
  checkSequenceTensors(model, batch);
  const truncation = checkTruncation(options.truncation);
  const { x, labels } = batch;
  const [size, time] = x.shape;
  const iface = model.stateInterface;
  const windows = Math.ceil(time / truncation);
  const perSequence = options.updates === "sequence";
  let state: tf.Tensor2D | undefined = options.carry?.state;
  let pending = options.carry?.pending;
  let summed: tf.Tensor[][] | undefined;
  const totals = tf.tidy(() => tf.zeros([4])); // loss, bits, steps, correct
  let sums = totals;
  try {
    for (let w = 0; w < windows; w++) {
      const t0 = w * truncation, length = Math.min(truncation, time - t0);
      const future = w < windows - 1 || options.carryOut === true;
      const context: StepContext = { step: model.nextWindow(), ...(labels ? { labels } : {}) };
      const out = tf.tidy(() => {
        const { x: xw, targets: tw, mask: mw } = windowSlice(batch, t0, length);
        const f = model.forwardWindow(xw, state ? splitState(state, model.units) : undefined);
        const l = stepLoss(model.loss, f.logits, tw, mw, size);
        model.checkFinite([l.loss], () => "the loss", { step: context.step });
        let synthetic: tf.Tensor2D | undefined;
        if (iface && future) {
          const g = iface.send(f.trigger, context);
          if (g !== null) {
            checkSynthetic(g, f.trigger, iface.type);
            if (
              model.checkFinite([g], () => `the synthetic gradient on the recurrent state`, {
                step: context.step,
                interface: iface.type,
              })
            ) {
              synthetic = g as tf.Tensor2D;
            }
          }
        }
        let auxGradient: tf.Tensor2D | undefined;
        if (f.aux && synthetic) {
          // DNI + Aux: the first step's head regresses onto the window's synthetic gradient (per example).
          const target = tf.mul(synthetic, size);
          auxGradient = tf.mul(tf.sub(f.aux.prediction, target), model.auxWeight / size) as tf.Tensor2D;
        }
        const b = model.backwardWindow(f, l.gradient, synthetic, auxGradient);
        if (iface && pending) iface.receive(b.stateGradient, pending.trigger, pending.context);
        const row = tf.stack([l.loss, l.bits, tf.sum(mw), l.correct]);
        return {
          gradients: b.gradients,
          sums: tf.add(sums, row),
          state: tf.concat([f.state.h, f.state.c], 1) as tf.Tensor2D,
          trigger: iface && future ? f.trigger : undefined,
        };
      });
      if (pending) {
        iface?.release(pending.context.step);
        if (pending.trigger !== out.trigger) pending.trigger.dispose();
      }
      pending = out.trigger ? { trigger: out.trigger, context } : undefined;
      if (state) state.dispose();
      state = out.state;
      sums.dispose();
      sums = out.sums;
      if (perSequence) {
        summed = summed ? addGradients(summed, out.gradients) : out.gradients;
      } else {
        model.apply(out.gradients, context.step);
        tf.dispose(out.gradients.flat());
      }
    }
    if (perSequence && summed) {
      model.apply(summed, model.steps);
      tf.dispose(summed.flat());
      summed = undefined;
    }
    const [loss, bits, steps, correct] = sums.dataSync();
    const result: SequenceStepResult = { loss: loss!, bits: bits!, steps: steps!, correct: correct!, windows };
    if (options.carryOut) {
      result.carry = { state: state!, ...(pending ? { pending } : {}) };
      state = undefined;
      pending = undefined;
    }
    return result;
  } finally {
    sums.dispose();
    if (summed) tf.dispose(summed.flat());
    if (state) state.dispose();
    if (pending) {
      iface?.release(pending.context.step);
      pending.trigger.dispose();
    }
  }
}

/** Frees what a `Carry` holds (at the end of training, or when the streams restart). */
export function disposeCarry(model: RecurrentModel, carry: Carry | undefined): void {
  if (!carry) return;
  carry.state.dispose();
  if (carry.pending) {
    model.stateInterface?.release(carry.pending.context.step);
    carry.pending.trigger.dispose();
  }
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

function addGradients(a: tf.Tensor[][], b: tf.Tensor[][]): tf.Tensor[][] {
  const sum = a.map((part, j) => part.map((g, k) => tf.add(g, b[j]![k]!)));
  tf.dispose([...a.flat(), ...b.flat()]);
  return sum;
}

/** `truncation`, unless it is not an integer >= 1 (a RangeError naming it). */
export function checkTruncation(truncation: number): number {
  if (!Number.isInteger(truncation) || truncation < 1) {
    throw new RangeError(`truncation must be an integer >= 1 (steps per window), got ${truncation}`);
  }
  return truncation;
}

function checkSynthetic(gradient: tf.Tensor, trigger: tf.Tensor, type: string): void {
  if (gradient.rank !== 2 || gradient.shape[0] !== trigger.shape[0] || gradient.shape[1] !== trigger.shape[1]) {
    throw new RangeError(
      `Interface "${type}" on the recurrent state returned a gradient of shape ${showShape(gradient.shape)} from ` +
        `send(), expected ${showShape(trigger.shape)}`,
    );
  }
}

/** Throws a RangeError naming the tensor and its shape unless the batch fits the model. */
export function checkSequenceTensors(model: RecurrentModel, batch: SequenceTensors): void {
  const { x, targets, mask } = batch;
  if (x.rank !== 3 || x.shape[2] !== model.features) {
    throw new RangeError(
      `Sequence inputs must have shape [B, time, ${model.features}], got ${showShape(x.shape)}`,
    );
  }
  const [size, time] = x.shape;
  if (size < 1 || time < 1) {
    throw new RangeError(`A batch of sequences needs B >= 1 and time >= 1, got ${showShape(x.shape)}`);
  }
  if (
    targets.rank !== 3 || targets.shape[0] !== size || targets.shape[1] !== time || targets.shape[2] !== model.outputs
  ) {
    throw new RangeError(
      `Sequence targets must have shape [${size}, ${time}, ${model.outputs}], got ${showShape(targets.shape)}`,
    );
  }
  if (mask.rank !== 2 || mask.shape[0] !== size || mask.shape[1] !== time) {
    throw new RangeError(`The sequence mask must have shape [${size}, ${time}], got ${showShape(mask.shape)}`);
  }
}
