/**
 * Measurements of the interface on the recurrent state, which change nothing: the true future gradient at each
 * window boundary (full BPTT through the later windows) and the cosine of the synthetic gradient to it.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { StepContext } from "../interfaces/interface.ts";
import type { LstmState } from "../layers/lstm.ts";
import type { RecurrentModel } from "./model.ts";
import { stepLoss } from "./step_loss.ts";
import { checkSequenceTensors, checkTruncation, type SequenceTensors, windowSlice } from "./tbptt.ts";

// One forward pass over the windows and BPTT back through them: each boundary's trigger [h, c] and the true
// dL_future/d(state) there, for every window but the last. Call inside tf.tidy.
function boundaries(model: RecurrentModel, batch: SequenceTensors, truncation: number) {
  const [size, time] = batch.x.shape;
  const windows = Math.ceil(time / truncation);
  const passes = [];
  let state: LstmState | undefined;
  for (let w = 0; w < windows; w++) {
    const t0 = w * truncation;
    const { x, targets, mask } = windowSlice(batch, t0, Math.min(truncation, time - t0));
    const f = model.forwardWindow(x, state, "eval");
    passes.push({ f, gradient: stepLoss(model.loss, f.logits, targets, mask, size).gradient });
    state = f.state;
  }
  const gradients: tf.Tensor2D[] = new Array(windows - 1);
  let future: tf.Tensor2D | undefined;
  for (let w = windows - 1; w >= 0; w--) {
    if (w < windows - 1) gradients[w] = future!;
    const { f, gradient } = passes[w]!;
    future = model.backwardWindow(f, gradient, future).stateGradient;
  }
  return { triggers: passes.slice(0, windows - 1).map((p) => p.f.trigger), gradients };
}

/**
 * The true dL_future/d(state) at each window boundary of a batch (full BPTT, weights fixed, nothing learned):
 * `gradients[k]` `[B, 2 units]` at the end of window k, for every window but the last. A measurement, for the
 * diagnostics and the oracle test.
 */
export function futureGradients(model: RecurrentModel, batch: SequenceTensors, truncation: number): tf.Tensor2D[] {
  checkSequenceTensors(model, batch);
  checkTruncation(truncation);
  return tf.tidy(() => boundaries(model, batch, truncation).gradients);
}

/**
 * Diagnostics of the interface on the recurrent state: the mean cosine between its synthetic gradient and the true
 * future gradient (`futureGradients`) over the boundaries of a probe batch. NaN without an interface or a boundary.
 */
export function syntheticGradientCosine(model: RecurrentModel, batch: SequenceTensors, truncation: number): number {
  const iface = model.stateInterface;
  checkSequenceTensors(model, batch);
  checkTruncation(truncation);
  if (!iface || batch.x.shape[1] <= truncation) return NaN;
  const mean = tf.tidy(() => {
    const { triggers, gradients } = boundaries(model, batch, truncation);
    const context: StepContext = { step: -1, ...(batch.labels ? { labels: batch.labels } : {}) };
    const cosines = triggers.map((trigger, k) => {
      const s = iface.synthesize(trigger, context), t = gradients[k]!;
      return tf.div(tf.sum(tf.mul(s, t)), tf.maximum(tf.mul(tf.norm(s), tf.norm(t)), 1e-30)) as tf.Scalar;
    });
    return tf.mean(tf.stack(cosines));
  });
  const value = mean.dataSync()[0]!;
  mean.dispose();
  return value;
}
