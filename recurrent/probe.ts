/**
 * Measurements of the interfaces on the recurrent states, which change nothing: the true future gradient at each
 * window boundary (by TF.js autodiff through the later windows, the weights fixed) and the cosine of the synthetic
 * gradient to it.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { StepContext } from "../interfaces/interface.ts";
import type { Network } from "../network/network.ts";
import { stepLoss } from "../losses/step_loss.ts";
import { cosine } from "../network/cosine.ts";
import { isRecurrent, type RecurrentLayer, splitState } from "./recurrent_layer.ts";
import { checkSequenceTensors, checkTruncation, type SequenceTensors, windowSlice } from "./tbptt.ts";

// One window in evaluation mode from the given states of the recurrent layers: the window's loss and each
// recurrent layer's final state [h, c]. A pure function of its inputs (autodiff goes through it).
function runWindow(
  network: Network,
  batch: SequenceTensors,
  t0: number,
  length: number,
  states: readonly (tf.Tensor2D | undefined)[],
): { loss: tf.Scalar; finals: tf.Tensor2D[] } {
  const [size] = batch.x.shape;
  const { x, targets, mask } = windowSlice(batch, t0, length);
  let h: tf.Tensor = tf.reshape(x, [size * length, network.inputUnits]);
  const finals: tf.Tensor2D[] = [];
  for (const layer of network.layers) {
    if (isRecurrent(layer)) {
      const initial = states[finals.length];
      const f = layer.lstm.forwardSequence(
        tf.reshape(h, [size, length, layer.inputShape[0]!]),
        initial ? splitState(initial, layer.units) : undefined,
      );
      finals.push(tf.concat([f.state.h, f.state.c], 1) as tf.Tensor2D);
      h = tf.reshape(f.output, [size * length, layer.units]);
    } else h = layer.forward(h, "eval").output;
  }
  return { loss: stepLoss(network.stepLoss!, h as tf.Tensor2D, targets, mask, size).loss, finals };
}

/**
 * The true dL_future/d(state) of recurrent layer `which` (0: the first lstm) at each window boundary of a batch
 * (full BPTT, weights fixed, nothing learned): `gradients[k]` `[B, 2 units]` at the end of window k, for every
 * window but the last. A measurement, for the diagnostics and the oracle test.
 */
export function futureGradients(
  network: Network,
  batch: SequenceTensors,
  truncation: number,
  which = 0,
): tf.Tensor2D[] {
  return tf.tidy(() => boundaries(network, batch, truncation, which).gradients);
}

function boundaries(network: Network, batch: SequenceTensors, truncation: number, which: number) {
  checkSequenceTensors(network, batch);
  checkTruncation(truncation);
  const time = batch.x.shape[1];
  const windows = Math.ceil(time / truncation);
  const span = (w: number) => [w * truncation, Math.min(truncation, time - w * truncation)] as const;
  const states: tf.Tensor2D[][] = [];
  let current: (tf.Tensor2D | undefined)[] = [];
  for (let w = 0; w < windows - 1; w++) {
    const finals = runWindow(network, batch, ...span(w), current).finals;
    states.push(finals);
    current = finals;
  }
  const gradients = states.map((at, k) => {
    const lossFrom = (s: tf.Tensor) => {
      let cur = at.map((t, m) => m === which ? s as tf.Tensor2D : t);
      let total = tf.scalar(0);
      for (let w = k + 1; w < windows; w++) {
        const r = runWindow(network, batch, ...span(w), cur);
        total = tf.add(total, r.loss);
        cur = r.finals;
      }
      return total as tf.Scalar;
    };
    return tf.grad(lossFrom)(at[which]!) as tf.Tensor2D;
  });
  return { triggers: states.map((at) => at[which]!), gradients };
}

/**
 * Diagnostics of the interface on a recurrent layer's state (the first one that has one): the mean cosine between
 * its synthetic gradient and the true future gradient (`futureGradients`) over the boundaries of a probe batch.
 * NaN without such an interface or without a boundary.
 */
export function syntheticGradientCosine(network: Network, batch: SequenceTensors, truncation: number): number {
  checkSequenceTensors(network, batch);
  checkTruncation(truncation);
  const recurrent: RecurrentLayer[] = network.layers.filter(isRecurrent);
  const which = recurrent.findIndex((r) => r.stateInterface !== undefined);
  if (which < 0 || batch.x.shape[1] <= truncation) return NaN;
  const iface = recurrent[which]!.stateInterface!;
  const mean = tf.tidy(() => {
    const { triggers, gradients } = boundaries(network, batch, truncation, which);
    const context: StepContext = { step: -1, ...(batch.labels ? { labels: batch.labels } : {}) };
    const cosines = triggers.map((trigger, k) => {
      return cosine(iface.synthesize(trigger, context), gradients[k]!);
    });
    return tf.mean(tf.stack(cosines));
  });
  const value = mean.dataSync()[0]!;
  mean.dispose();
  return value;
}
