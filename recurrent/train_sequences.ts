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
import { Random } from "../random.ts";
import { repeatCopyLevel } from "../sequence/copy_task.ts";
import { Curriculum } from "../sequence/curriculum.ts";
import type { SequenceBatch } from "../sequence/batch.ts";
import type { RecurrentModel } from "./model.ts";
import { type Carry, disposeCarry, type SequenceStepResult, trainSequenceBatch } from "./tbptt.ts";
import { syntheticGradientCosine } from "./probe.ts";
import { evaluateSeqMnist, evaluateText } from "./evaluate_sequences.ts";
import { batchSource, checkFit, disposeTensors, lastTargets, type SequenceData, toTensors } from "./sequence_data.ts";

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
  if (data.task === "text") {
    result.bitsPerChar = evaluateText(model, data.corpus, batchSize, options.sequenceLength ?? 100);
  }
  if (data.task === "seq-mnist") result.testAccuracy = evaluateSeqMnist(model, data.test, batchSize);
  return result;
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
