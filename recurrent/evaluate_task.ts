/**
 * `evaluateTask`: a trained sequence network measured on its task again, as the run's last epoch measured it:
 * seq-mnist's test accuracy, a text's validation bits per character, and for the generated copy tasks the
 * curriculum's level and longest length solved (from the stream) with the error at that level on the fixed probe
 * batch.
 *
 * @module
 */
import type { Network } from "../network/network.ts";
import { evaluateBatch, holdTraining, type SequenceScore } from "./evaluate_sequences.ts";
import { checkFit, disposeTensors, type SequenceData, toTensors } from "./sequence_data.ts";
import { SequenceFeed, type SequenceFeedOptions } from "./sequence_feed.ts";

/** What `evaluateTask` measured. */
export interface TaskEvaluation {
  /** Seq-mnist: the test split. */
  test?: SequenceScore;
  /** Text: the validation part; seq-mnist: the held-out validation split, when the run had one. */
  validation?: SequenceScore;
  /** Copy tasks: the curriculum's level. */
  level?: number;
  /** Copy tasks: the longest pattern length solved. */
  maxSequenceLength?: number;
  /** Copy tasks: the probe batch at the curriculum's level. */
  probe?: SequenceScore;
}

/**
 * Measures `network` on `data` with the options and the position of its stream (`network.stream`, as `train()`
 * or a checkpoint left it; the defaults when it has none). Changes nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetwork, evaluateTask, train } from "../mod.ts";
 *
 * const net = buildNetwork({
 *   input: [9],
 *   layers: [{ type: "lstm", units: 8 }, { type: "dense", units: 8 }],
 *   loss: "sigmoid-cross-entropy",
 * });
 * const history = await train(net, { task: "copy" }, { steps: 4, stepsPerEpoch: 4, batchSize: 4 });
 * const e = evaluateTask(net, { task: "copy" });
 * assert.equal(e.maxSequenceLength, history.epochs[0]!.maxSequenceLength);
 * net.dispose();
 * ```
 */
export function evaluateTask(network: Network, data: SequenceData, batchSize = 32): TaskEvaluation {
  checkFit(network, data);
  const options: SequenceFeedOptions = network.stream?.task === data.task
    ? network.stream.options
    : { batchSize, seed: 0 };
  const feed = new SequenceFeed(data, options);
  if (network.stream?.task === data.task) feed.position = network.stream.position;
  const test = feed.evaluate(network, "test");
  const validation = feed.evaluate(network, "validation");
  const result: TaskEvaluation = { ...(test ? { test } : {}), ...(validation ? { validation } : {}) };
  if (feed.level !== undefined) {
    result.level = feed.level;
    result.maxSequenceLength = feed.maxSequenceLength;
    const item = feed.probe();
    const tensors = toTensors(item.sequences, item.labels);
    const restore = holdTraining(network);
    try {
      result.probe = evaluateBatch(network, tensors);
    } finally {
      restore();
      disposeTensors(tensors);
    }
  }
  return result;
}
