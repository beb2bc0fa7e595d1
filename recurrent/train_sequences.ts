/**
 * `trainSequences`: the training loop of the sequence tasks, on a budget of steps (batches).
 *
 * - `copy` / `repeat-copy` (generated from the seed): the paper's curriculum: the pattern length grows by one once
 *   a batch's error (cross-entropy in bits per output step: summed over the step's bits, averaged over the output
 *   steps) falls below the threshold; the result's `maxSequenceLength` is the longest length solved.
 * - `seq-mnist`: MNIST read row by row (28 steps of 28 pixels), the class predicted at the last step; the result's
 *   `testAccuracy` is measured on the test split after the budget.
 * - `text`: character-level language modelling: parallel streams through the text, the state (and the pending
 *   synthetic-gradient boundary) carried from batch to batch; the result's `bitsPerChar` is the validation text's.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Split } from "../datasets/dataset.ts";
import { Random } from "../random.ts";
import { copyBatch, copyTaskShape, repeatCopyLevel } from "../sequence/copy_task.ts";
import { Curriculum } from "../sequence/curriculum.ts";
import type { SequenceBatch } from "../sequence/batch.ts";
import { SEQ_MNIST_FEATURES, SEQ_MNIST_OUTPUTS, seqMnistBatches, seqMnistEvaluation } from "../sequence/seq_mnist.ts";
import { evaluationBatches, type TextCorpus, trainBatches } from "../sequence/text.ts";
import { type RecurrentModel, splitState } from "./model.ts";
import { stepLoss } from "./step_loss.ts";
import {
  type Carry,
  disposeCarry,
  type SequenceStepResult,
  type SequenceTensors,
  syntheticGradientCosine,
  trainSequenceBatch,
} from "./tbptt.ts";

/** The sequence tasks. */
export const SEQUENCE_TASKS: readonly string[] = ["copy", "repeat-copy", "seq-mnist", "text"];

/** A sequence task and its data. */
export type SequenceData =
  | { task: "copy" | "repeat-copy" }
  | { task: "seq-mnist"; train: Split; test: Split }
  | { task: "text"; corpus: TextCorpus; source: string };

/** Options of `trainSequences`. */
export interface SequenceTrainOptions {
  /** Steps per truncation window; left out: the whole sequence (full BPTT). */
  truncation?: number;
  /** Training steps (batches). */
  steps: number;
  /** Sequences per batch. */
  batchSize: number;
  /** Seed of the generated data and of the data order. @default {0} */
  seed?: number;
  /** Copy tasks: the curriculum's threshold, in bits per output step. @default {0.15} */
  threshold?: number;
  /** Copy tasks: the curriculum's first level (pattern length). @default {1} */
  startLength?: number;
  /** Text: characters per batch and stream. @default {100} */
  sequenceLength?: number;
  /** Steps between progress records (and synthetic-gradient cosine probes). @default {100} */
  logEvery?: number;
  /** Called with each progress record. */
  onProgress?: (record: SequenceRecord) => void;
}

/** A progress record. */
export interface SequenceRecord {
  /** Steps done. */
  step: number;
  /** Seconds of training so far. */
  seconds: number;
  /** Mean loss per sequence (nats) since the last record. */
  loss: number;
  /** Cross-entropy in bits per output step (copy tasks: a bit vector; text: a character) since the last record. */
  errorBits: number;
  /** Copy tasks: the curriculum's level (pattern length) and the longest length solved. */
  level?: number;
  /** Copy tasks: the longest pattern length solved so far. */
  maxSequenceLength?: number;
  /** Cosine between the synthetic gradient on the recurrent state and the true one, on a probe batch. */
  syntheticGradientCosine?: number;
}

/** What `trainSequences` returns. */
export interface SequenceTrainResult {
  /** The task. */
  task: SequenceData["task"];
  /** Steps per window (the sequence length when training used full BPTT). */
  truncation: number | "full";
  /** Steps trained. */
  steps: number;
  /** Seconds of training (without the final evaluation). */
  seconds: number;
  /** Copy tasks: the longest pattern length solved (the curriculum's level before the last one). */
  maxSequenceLength?: number;
  /** Repeat copy: the pattern length and repeat count of `maxSequenceLength`'s level. */
  pattern?: { length: number; repeats: number };
  /** Text: validation bits per character. */
  bitsPerChar?: number;
  /** Seq-mnist: test accuracy. */
  testAccuracy?: number;
  /** The last probe's cosine (NaN without an interface on the state). */
  syntheticGradientCosine?: number;
  /** The progress records. */
  history: SequenceRecord[];
}

/**
 * Trains a recurrent model on a sequence task for `options.steps` batches.
 *
 * @throws {RangeError} If the model's step width or output width does not fit the task, naming both.
 *
 * @example Twenty steps of the copy task with DNI on the state
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildRecurrentModel, trainSequences } from "../mod.ts";
 *
 * const model = buildRecurrentModel({
 *   input: [9],
 *   layers: [{ type: "lstm", units: 16, interface: "sg" }, { type: "dense", units: 8 }],
 *   loss: "sigmoid-cross-entropy",
 * });
 * const result = trainSequences(model, { task: "copy" }, { truncation: 3, steps: 20, batchSize: 8 });
 * assert.equal(result.steps, 20);
 * assert.ok(result.maxSequenceLength! >= 0);
 * model.dispose();
 * ```
 */
export function trainSequences(
  model: RecurrentModel,
  data: SequenceData,
  options: SequenceTrainOptions,
): SequenceTrainResult {
  checkFit(model, data);
  const { steps, batchSize, seed = 0, logEvery = 100 } = options;
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be an integer >= 1, got ${steps}`);
  const random = new Random(seed);
  const curriculum = data.task === "copy" || data.task === "repeat-copy"
    ? new Curriculum({ threshold: options.threshold ?? 0.15, start: options.startLength ?? 1 })
    : undefined;
  const history: SequenceRecord[] = [];
  const source = batchSource(data, batchSize, seed, options.sequenceLength ?? 100, random, () => curriculum!.level);
  let carry: Carry | undefined;
  let lossSum = 0, count = 0, bitsSum = 0, stepsSum = 0, cosine: number | undefined;
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    for (let step = 1; step <= steps; step++) {
      const next = source.next();
      if (next.restart) {
        disposeCarry(model, carry);
        carry = undefined;
      }
      const tensors = toTensors(next.batch, next.labels);
      let r: SequenceStepResult;
      try {
        const time = next.batch.time;
        r = trainSequenceBatch(model, tensors, {
          truncation: Math.min(options.truncation ?? time, time),
          ...(data.task === "text" ? { carry, carryOut: true } : {}),
        });
      } finally {
        carry = undefined; // taken over (and freed on an error) by trainSequenceBatch
        disposeTensors(tensors);
      }
      carry = r.carry;
      const errorBits = r.bits / r.steps; // per output step (a character, a bit vector)
      lossSum += r.loss;
      bitsSum += r.bits;
      stepsSum += r.steps;
      count++;
      curriculum?.record(errorBits);
      if (step % logEvery === 0 || step === steps) {
        if (model.stateInterface) cosine = probeCosine(model, source.probe(), data.task, options.truncation);
        const record: SequenceRecord = {
          step,
          seconds: seconds(),
          loss: lossSum / count,
          errorBits: bitsSum / stepsSum,
          ...(curriculum ? { level: curriculum.level, maxSequenceLength: curriculum.maxSequenceLength } : {}),
          ...(cosine === undefined ? {} : { syntheticGradientCosine: cosine }),
        };
        history.push(record);
        options.onProgress?.(record);
        lossSum =
          count =
          bitsSum =
          stepsSum =
            0;
      }
    }
  } finally {
    disposeCarry(model, carry);
  }
  const result: SequenceTrainResult = {
    task: data.task,
    truncation: options.truncation ?? "full",
    steps,
    seconds: seconds(),
    history,
    ...(cosine === undefined ? {} : { syntheticGradientCosine: cosine }),
  };
  if (curriculum) {
    result.maxSequenceLength = curriculum.maxSequenceLength;
    if (data.task === "repeat-copy" && curriculum.maxSequenceLength > 0) {
      result.pattern = repeatCopyLevel(curriculum.maxSequenceLength);
    }
  }
  if (data.task === "text") result.bitsPerChar = evaluateText(model, data.corpus, batchSize, options);
  if (data.task === "seq-mnist") result.testAccuracy = evaluateSeqMnist(model, data.test, batchSize);
  return result;
}

// The step and output widths a task needs.
function taskShape(data: SequenceData): { features: number; outputs: number } {
  switch (data.task) {
    case "copy":
      return copyTaskShape();
    case "repeat-copy":
      return copyTaskShape({ repeat: true });
    case "seq-mnist":
      return { features: SEQ_MNIST_FEATURES, outputs: SEQ_MNIST_OUTPUTS };
    case "text":
      return { features: data.corpus.vocabulary.length, outputs: data.corpus.vocabulary.length };
  }
}

/**
 * Throws a RangeError unless the model's step and output widths fit the task, naming both.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildRecurrentModel } from "./build.ts";
 * import { checkFit } from "./train_sequences.ts";
 * const model = buildRecurrentModel({ input: [9], layers: [{ type: "lstm", units: 4 }, { type: "dense", units: 8 }] });
 * assert.throws(() => checkFit(model, { task: "repeat-copy" }), /input \[10\]/);
 * model.dispose();
 * ```
 */
export function checkFit(model: RecurrentModel, data: SequenceData): void {
  const { features, outputs } = taskShape(data);
  if (model.features !== features || model.outputs !== outputs) {
    throw new RangeError(
      `The spec (input [${model.features}] per step, ${model.outputs} outputs) does not fit ${data.task}: it needs ` +
        `input [${features}] and an output layer of ${outputs} units`,
    );
  }
  const wants = data.task === "copy" || data.task === "repeat-copy" ? "sigmoid-cross-entropy" : "softmax-cross-entropy";
  if (model.loss !== wants) {
    throw new RangeError(`${data.task} needs loss "${wants}" in the spec, got "${model.loss}"`);
  }
}

interface Next {
  batch: SequenceBatch;
  labels?: Float32Array;
  /** The streams start over (text: a new pass): the carried state no longer applies. */
  restart: boolean;
}

// Where a task's batches come from, and a fixed probe batch for the cosine diagnostics.
function batchSource(
  data: SequenceData,
  batchSize: number,
  seed: number,
  sequenceLength: number,
  random: Random,
  level: () => number,
): { next(): Next; probe(): SequenceBatch } {
  switch (data.task) {
    case "copy":
    case "repeat-copy": {
      const repeat = data.task === "repeat-copy";
      const make = (r: Random) => {
        const l = repeat ? repeatCopyLevel(level()) : { length: level(), repeats: 1 };
        return copyBatch(r, batchSize, l.length, { repeat, ...(repeat ? { repeats: l.repeats } : {}) });
      };
      return { next: () => ({ batch: make(random), restart: false }), probe: () => make(new Random(seed + 1)) };
    }
    case "seq-mnist": {
      let epoch = 0, it = seqMnistBatches(data.train, batchSize, seed);
      const next = (): Next => {
        let n = it.next();
        if (n.done) {
          it = seqMnistBatches(data.train, batchSize, seed + ++epoch);
          n = it.next();
        }
        return { batch: n.value!, labels: lastTargets(n.value!), restart: false };
      };
      const probe = seqMnistEvaluation(data.test, batchSize).next().value!;
      return { next, probe: () => probe };
    }
    case "text": {
      let it = trainBatches(data.corpus, batchSize, sequenceLength), restart = true;
      const next = (): Next => {
        let n = it.next();
        if (n.done) {
          it = trainBatches(data.corpus, batchSize, sequenceLength);
          n = it.next();
          restart = true;
        }
        const r = restart;
        restart = false;
        return { batch: n.value!, restart: r };
      };
      const probe = evaluationBatches(data.corpus, Math.min(batchSize, 8), sequenceLength).next().value;
      return { next, probe: () => probe ?? trainBatches(data.corpus, batchSize, sequenceLength).next().value! };
    }
  }
}

// Seq-mnist: the one-hot class of each sequence (its last step's target), the context of csg.
function lastTargets(batch: SequenceBatch): Float32Array {
  const labels = new Float32Array(batch.size * batch.outputs);
  for (let b = 0; b < batch.size; b++) {
    const at = (b * batch.time + batch.time - 1) * batch.outputs;
    labels.set(batch.targets.subarray(at, at + batch.outputs), b * batch.outputs);
  }
  return labels;
}

function toTensors(batch: SequenceBatch, labels?: Float32Array): SequenceTensors {
  const { size, time, features, outputs } = batch;
  return {
    x: tf.tensor3d(batch.x, [size, time, features]),
    targets: tf.tensor3d(batch.targets, [size, time, outputs]),
    mask: tf.tensor2d(batch.mask, [size, time]),
    ...(labels ? { labels: tf.tensor2d(labels, [size, outputs]) } : {}),
  };
}

function disposeTensors(t: SequenceTensors): void {
  tf.dispose([t.x, t.targets, t.mask, ...(t.labels ? [t.labels] : [])]);
}

function probeCosine(
  model: RecurrentModel,
  batch: SequenceBatch,
  task: SequenceData["task"],
  truncation: number | undefined,
): number {
  const tensors = toTensors(batch, task === "seq-mnist" ? lastTargets(batch) : undefined);
  try {
    return syntheticGradientCosine(model, tensors, truncation ?? batch.time);
  } finally {
    disposeTensors(tensors);
  }
}

// Validation bits per character, the state carried through the validation streams.
function evaluateText(
  model: RecurrentModel,
  corpus: TextCorpus,
  batchSize: number,
  options: SequenceTrainOptions,
): number {
  const length = options.sequenceLength ?? 100;
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

function evaluateSeqMnist(model: RecurrentModel, test: Split, batchSize: number): number {
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
