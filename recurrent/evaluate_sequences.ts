/**
 * Evaluating a sequence network without updating it: one batch (`evaluateBatch`), a text's validation streams in
 * bits per character, sequential MNIST's accuracy. The recurrent layers' training state (the carried state, a
 * boundary waiting for its message) is put aside during the pass and back after it.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Split } from "../datasets/dataset.ts";
import type { Network } from "../network/network.ts";
import { seqMnistEvaluation } from "../sequence/seq_mnist.ts";
import { evaluationBatches, type TextCorpus } from "../sequence/text.ts";
import type { SequenceBatch } from "../sequence/batch.ts";
import { stepLoss } from "../losses/step_loss.ts";
import { isRecurrent, type RecurrentLayer } from "./recurrent_layer.ts";
import { disposeTensors, toTensors } from "./sequence_data.ts";
import { checkSequenceTensors, type SequenceTensors } from "./tbptt.ts";

/** What a sequence network scored on some sequences. */
export interface SequenceScore {
  /** Mean loss per sequence (nats). */
  loss: number;
  /** Cross-entropy of the counted steps in bits, summed. */
  bits: number;
  /** Counted steps predicted right. */
  correct: number;
  /** Counted steps. */
  steps: number;
  /** Sequences. */
  sequences: number;
}

/**
 * One forward pass over a batch in evaluation mode (no update), the recurrent layers starting from the state they
 * carry (zeros, unless a previous `evaluateBatch` of the same pass left one): the counted steps' loss, bits and
 * right predictions. The caller brackets a pass with `holdTraining` / `restoreTraining`.
 */
export function evaluateBatch(network: Network, batch: SequenceTensors): SequenceScore {
  checkSequenceTensors(network, batch);
  const [size, time] = batch.x.shape;
  const recurrent = network.layers.filter(isRecurrent);
  const check = () => true;
  for (const r of recurrent) r.beginWindow({ sequences: size, time, future: false, context: { step: -1 }, check });
  const values = tf.tidy(() => {
    const rows = tf.reshape(batch.x, [size * time, network.inputUnits]);
    const logits = network.layers.reduce((h, layer) => layer.forward(h, "eval").output, rows as tf.Tensor);
    const targets = tf.reshape(batch.targets, [size * time, network.outputUnits]) as tf.Tensor2D;
    const mask = tf.reshape(batch.mask, [size * time]) as tf.Tensor1D;
    const l = stepLoss(network.stepLoss!, logits as tf.Tensor2D, targets, mask, size);
    return tf.stack([l.loss, l.bits, l.correct, tf.sum(mask)]);
  });
  for (const r of recurrent) r.endWindow();
  const [loss, bits, correct, steps] = values.dataSync();
  values.dispose();
  return { loss: loss!, bits: bits!, correct: correct!, steps: steps!, sequences: size };
}

/** Puts the recurrent layers' training state aside (they start from zeros); `restoreTraining` puts it back. */
export function holdTraining(network: Network): () => void {
  const recurrent: RecurrentLayer[] = network.layers.filter(isRecurrent);
  const held = recurrent.map((r) => r.hold());
  return () => recurrent.forEach((r, i) => r.restore(held[i]!));
}

/** Sums scores. */
function add(a: SequenceScore, b: SequenceScore): SequenceScore {
  return {
    loss: a.loss + b.loss * b.sequences,
    bits: a.bits + b.bits,
    correct: a.correct + b.correct,
    steps: a.steps + b.steps,
    sequences: a.sequences + b.sequences,
  };
}

const NONE: SequenceScore = { loss: 0, bits: 0, correct: 0, steps: 0, sequences: 0 };

/** A text's validation streams of `length` characters, the state carried through them (`bits / steps`: bits per character). */
export function evaluateText(network: Network, corpus: TextCorpus, batchSize: number, length: number): SequenceScore {
  const size = Math.max(1, Math.min(batchSize, Math.floor((corpus.validation.length - 1) / length)));
  return scoreAll(network, evaluationBatches(corpus, size, length), true);
}

/** Sequential MNIST on a split (the class at the last row): `correct / steps` is the accuracy. */
export function evaluateSeqMnist(network: Network, split: Split, batchSize: number): SequenceScore {
  return scoreAll(network, seqMnistEvaluation(split, batchSize), false);
}

// Scores every batch; `carry`: each batch continues the previous one's streams (text), else each starts from zeros
// (independent sequences, e.g. images: a last, smaller batch too).
function scoreAll(network: Network, batches: Iterable<SequenceBatch>, carry: boolean): SequenceScore {
  const restore = holdTraining(network);
  const recurrent = network.layers.filter(isRecurrent);
  let total = NONE;
  try {
    for (const batch of batches) {
      if (!carry) { for (const r of recurrent) r.resetState(); }
      const tensors = toTensors(batch);
      try {
        total = add(total, evaluateBatch(network, tensors));
      } finally {
        disposeTensors(tensors);
      }
    }
  } finally {
    restore();
  }
  return { ...total, loss: total.loss / Math.max(total.sequences, 1) };
}
