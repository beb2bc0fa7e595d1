/**
 * `sequenceFeed`: a sequence task as the data side of `train()`. Epochs of `perEpoch` batches from the task's
 * stream (see `SequenceFeed`), the curriculum fed after each batch, and after each epoch: the training error in bits
 * per counted step, the curriculum's level, the evaluation (seq-mnist's test split and held-out validation split,
 * the text's validation part in bits per character), the interfaces' numbers with the cosine of each synthetic
 * gradient on a recurrent state to the true one on a probe batch. The stream's position is kept in the network
 * (`network.streamPosition`) after each epoch, so a later `train()` call, or a checkpoint, goes on from it.
 *
 * @module
 */
import type { SequenceItem } from "./sequence_feed.ts";
import { SequenceFeed } from "./sequence_feed.ts";
import { checkFit, disposeTensors, type SequenceData, toTensors } from "./sequence_data.ts";
import { syntheticGradientCosine } from "./probe.ts";
import { trainSequenceBatch } from "./tbptt.ts";
import { isRecurrent, type RecurrentLayer } from "./recurrent_layer.ts";
import type { Network } from "../network/network.ts";
import type { InterfaceDiagnostics } from "../network/interface_diagnostics.ts";
import { mergeDiagnostics } from "../network/interface_diagnostics.ts";
import type { BatchOutcome } from "../execution/strategy.ts";
import type { Feed } from "../training/feed.ts";
import type { EpochRecord } from "../training/history.ts";
import type { TrainOptions } from "../training/options.ts";
import { memoryRecord } from "../training/memory.ts";

/**
 * Trains a sequence network on one batch of a sequence task (a `SequenceItem`): what a strategy calls per batch.
 *
 * @returns The batch's loss per sequence, counted steps, right predictions and bits.
 */
export function trainSequenceItem(network: Network, item: SequenceItem): BatchOutcome {
  const tensors = toTensors(item.sequences, item.labels);
  try {
    const r = trainSequenceBatch(network, tensors, {
      truncation: item.truncation,
      carryIn: item.carryIn,
      carryOut: item.carryOut,
    });
    return { loss: r.loss, correct: r.correct, size: item.sequences.size, counted: r.steps, bits: r.bits };
  } finally {
    disposeTensors(tensors);
  }
}

/** The data side of `train()` for a sequence task (see the module's documentation). */
export function sequenceFeed(network: Network, data: SequenceData, options: TrainOptions): Feed {
  checkFit(network, data);
  const { batchSize = 32, seed = 0, validate = true, probeSize = 256 } = options;
  const feed = new SequenceFeed(data, {
    batchSize,
    seed,
    ...options.sequence,
    ...(options.stepsPerEpoch === undefined ? {} : { stepsPerEpoch: options.stepsPerEpoch }),
    ...(options.validationSplit === undefined ? {} : { validationSplit: options.validationSplit }),
  });
  if (network.stream !== undefined && network.stream.task === data.task) feed.position = network.stream.position;
  let bits = 0, counted = 0;
  return {
    perEpoch: feed.perEpoch,
    // The stream goes on from where it stands, inside an epoch too.
    batches: (_epoch, count) => feed.take(count),
    pause() {
      network.stream = feed.stream;
      return { bits, counted };
    },
    resume(sums) {
      bits = sums.bits ?? 0;
      counted = sums.counted ?? 0;
    },
    afterBatch(o) {
      if (o.bits === undefined || !o.counted) return;
      bits += o.bits;
      counted += o.counted;
      feed.record(o.bits / o.counted);
    },
    endEpoch(record: EpochRecord, own: readonly InterfaceDiagnostics[]) {
      record.errorBits = bits / counted;
      bits = counted = 0;
      if (feed.level !== undefined) {
        record.level = feed.level;
        record.maxSequenceLength = feed.maxSequenceLength;
      }
      const started = performance.now();
      if (validate) {
        const test = feed.evaluate(network, "test");
        if (test) {
          record.testLoss = test.loss;
          record.testAccuracy = test.correct / test.steps;
        }
      }
      const v = feed.evaluate(network, "validation");
      if (v) {
        record.validationLoss = v.loss;
        record.validationAccuracy = v.correct / v.steps;
        // Text is judged (and early-stopped) by its bits per character; seq-mnist by its accuracy.
        if (data.task === "text") record.validationBits = v.bits / v.steps;
      }
      record.evalSeconds = (performance.now() - started) / 1000;
      const diagnostics = mergeDiagnostics(own, probeSize > 0 ? probe(network, feed) : []);
      if (diagnostics.length > 0) record.interfaces = diagnostics;
      network.stream = feed.stream;
      record.memory = memoryRecord();
    },
    ...(feed.validates
      ? {
        monitor: data.task === "text"
          ? { key: "validationBits", higher: false }
          : { key: "validationAccuracy", higher: true },
      }
      : {}),
  };
}

// The cosine of the synthetic gradient on the first recurrent state with an interface to the true one.
function probe(network: Network, feed: SequenceFeed): InterfaceDiagnostics[] {
  const layer = network.layers.findIndex((l) => isRecurrent(l) && l.stateInterface !== undefined);
  if (layer < 0) return [];
  const item = feed.probe();
  const tensors = toTensors(item.sequences, item.labels);
  try {
    const cosine = syntheticGradientCosine(network, tensors, item.truncation);
    if (Number.isNaN(cosine)) return [];
    const type = (network.layers[layer] as RecurrentLayer).stateInterface!.type;
    return [{ layer, type, on: "state", cosine }];
  } finally {
    disposeTensors(tensors);
  }
}
