/**
 * Evaluating a recurrent model on sequences, without updating it: one batch (`evaluateBatch`), a text's validation
 * streams in bits per character, sequential MNIST's test accuracy.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Split } from "../datasets/dataset.ts";
import { seqMnistEvaluation } from "../sequence/seq_mnist.ts";
import { evaluationBatches, type TextCorpus } from "../sequence/text.ts";
import { type RecurrentModel, splitState } from "./model.ts";
import { stepLoss } from "./step_loss.ts";
import { disposeTensors, toTensors } from "./sequence_data.ts";
import type { SequenceTensors } from "./tbptt.ts";

/** Validation bits per character, the state carried through the validation streams of `length` characters. */
export function evaluateText(
  model: RecurrentModel,
  corpus: TextCorpus,
  batchSize: number,
  length: number,
): number {
  const size = Math.max(1, Math.min(batchSize, Math.floor((corpus.validation.length - 1) / length)));
  let bits = 0, steps = 0;
  let state: tf.Tensor2D | undefined;
  for (const batch of evaluationBatches(corpus, size, length)) {
    const tensors = toTensors(batch);
    const r = evaluateBatch(model, tensors, state);
    state?.dispose();
    state = r.state;
    bits += r.bits;
    steps += r.steps;
    disposeTensors(tensors);
  }
  state?.dispose();
  return bits / steps;
}

/** Test accuracy of sequential MNIST (the class at the last row). */
export function evaluateSeqMnist(model: RecurrentModel, test: Split, batchSize: number): number {
  let correct = 0, count = 0;
  for (const batch of seqMnistEvaluation(test, batchSize)) {
    const tensors = toTensors(batch);
    const r = evaluateBatch(model, tensors);
    r.state.dispose();
    correct += r.correct;
    count += r.steps;
    disposeTensors(tensors);
  }
  return correct / count;
}

/**
 * One forward pass over a batch in evaluation mode (no update), from `initial` (`[B, 2 units]`) or zeros: the
 * masked steps' bits and right predictions, and the final state.
 */
export function evaluateBatch(
  model: RecurrentModel,
  batch: SequenceTensors,
  initial?: tf.Tensor2D,
): { bits: number; correct: number; steps: number; state: tf.Tensor2D } {
  const [bits, correct, steps, state] = tf.tidy(() => {
    const [size, time] = batch.x.shape;
    const f = model.forwardWindow(batch.x, initial ? splitState(initial, model.units) : undefined, "eval");
    const targets = tf.reshape(batch.targets, [size * time, model.outputs]) as tf.Tensor2D;
    const mask = tf.reshape(batch.mask, [size * time]) as tf.Tensor1D;
    const l = stepLoss(model.loss, f.logits, targets, mask, size);
    return [l.bits, l.correct, tf.sum(mask), f.trigger];
  });
  const values = [bits, correct, steps].map((t) => t.dataSync()[0]!);
  tf.dispose([bits, correct, steps]);
  return { bits: values[0]!, correct: values[1]!, steps: values[2]!, state: state as tf.Tensor2D };
}
