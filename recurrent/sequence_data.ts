/**
 * The sequence tasks' data on the training side: which widths a task needs (`checkFit`), where each task's batches
 * come from (generated at the curriculum's level, seq-mnist epochs, text streams), and batches as tensors.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Split } from "../datasets/dataset.ts";
import { Random } from "../random.ts";
import { copyBatch, copyTaskShape, repeatCopyLevel } from "../sequence/copy_task.ts";
import type { SequenceBatch } from "../sequence/batch.ts";
import { SEQ_MNIST_FEATURES, SEQ_MNIST_OUTPUTS, seqMnistBatches, seqMnistEvaluation } from "../sequence/seq_mnist.ts";
import { evaluationBatches, type TextCorpus, trainBatches } from "../sequence/text.ts";
import type { Network } from "../network/network.ts";
import type { SequenceTensors } from "./tbptt.ts";

/** The sequence tasks. */
export const SEQUENCE_TASKS: readonly string[] = ["copy", "repeat-copy", "seq-mnist", "text"];

/** A sequence task and its data. */
export type SequenceData =
  | { task: "copy" | "repeat-copy" }
  | { task: "seq-mnist"; train: Split; test: Split }
  | { task: "text"; corpus: TextCorpus; source: string };

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
 * import { buildNetwork } from "../mod.ts";
 * import { checkFit } from "./sequence_data.ts";
 * const net = buildNetwork({ input: [9], layers: [{ type: "lstm", units: 4 }, { type: "dense", units: 8 }] });
 * assert.throws(() => checkFit(net, { task: "repeat-copy" }), /input \[10\]/);
 * net.dispose();
 * ```
 */
export function checkFit(network: Network, data: SequenceData): void {
  if (network.kind !== "sequence") {
    throw new RangeError(
      `${data.task} is a sequence task: it trains a sequence network (input [features] per step, an lstm first)`,
    );
  }
  const { features, outputs } = taskShape(data);
  if (network.inputUnits !== features || network.outputUnits !== outputs) {
    throw new RangeError(
      `The spec (input [${network.inputUnits}] per step, ${network.outputUnits} outputs) does not fit ${data.task}: ` +
        `it needs input [${features}] and an output layer of ${outputs} units`,
    );
  }
  const wants = data.task === "copy" || data.task === "repeat-copy" ? "sigmoid-cross-entropy" : "softmax-cross-entropy";
  if (network.stepLoss !== wants) {
    throw new RangeError(`${data.task} needs loss "${wants}" in the spec, got "${network.stepLoss}"`);
  }
}

/** The next training batch, and whether the streams start over. */
export interface Next {
  batch: SequenceBatch;
  labels?: Float32Array;
  /** The streams start over (text: a new pass): the carried state no longer applies. */
  restart: boolean;
}

/** Where a task's batches come from, and a fixed probe batch for the cosine diagnostics. */
export function batchSource(
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

/** Seq-mnist: the one-hot class of each sequence (its last step's target), the context of csg. */
export function lastTargets(batch: SequenceBatch): Float32Array {
  const labels = new Float32Array(batch.size * batch.outputs);
  for (let b = 0; b < batch.size; b++) {
    const at = (b * batch.time + batch.time - 1) * batch.outputs;
    labels.set(batch.targets.subarray(at, at + batch.outputs), b * batch.outputs);
  }
  return labels;
}

/** A batch as tensors (with per-sequence labels when given); the caller disposes them. */
export function toTensors(batch: SequenceBatch, labels?: Float32Array): SequenceTensors {
  const { size, time, features, outputs } = batch;
  return {
    x: tf.tensor3d(batch.x, [size, time, features]),
    targets: tf.tensor3d(batch.targets, [size, time, outputs]),
    mask: tf.tensor2d(batch.mask, [size, time]),
    ...(labels ? { labels: tf.tensor2d(labels, [size, outputs]) } : {}),
  };
}

/** Frees what `toTensors` made. */
export function disposeTensors(t: SequenceTensors): void {
  tf.dispose([t.x, t.targets, t.mask, ...(t.labels ? [t.labels] : [])]);
}
