/**
 * `datasetFeed`: a `Dataset` of examples as the data side of `train()`: each epoch a seeded shuffle of the
 * training split (less the validation split held out of it), and after each epoch the validation split, the test
 * split and the interfaces' diagnostics (`epochEnd`).
 *
 * @module
 */
import { batches, type Dataset, type Split } from "../datasets/dataset.ts";
import { holdOutValidation } from "../datasets/validation.ts";
import type { Network } from "../network/network.ts";
import { checkFit } from "./_checks.ts";
import { epochEnd } from "./epoch_end.ts";
import { evaluate } from "./evaluate.ts";
import type { Feed } from "./feed.ts";
import type { TrainOptions } from "./options.ts";

/** The data side of `train()` for a dataset of examples (see the module's documentation). */
export function datasetFeed(network: Network, data: Dataset, options: TrainOptions): Feed {
  checkFit(network, data);
  const { batchSize = 128, seed = 0, validate = true, probeSize = 256 } = options;
  let dataset = data;
  let validation: Split | undefined;
  if (options.validationSplit !== undefined) {
    const parts = holdOutValidation(dataset.train, dataset.features, options.validationSplit);
    dataset = { ...dataset, train: parts.train };
    validation = parts.validation;
  }
  return {
    perEpoch: Math.min(options.stepsPerEpoch ?? Infinity, Math.ceil(dataset.train.count / batchSize)),
    *batches(epoch, count, from) {
      if (count < 1) return;
      let k = 0;
      for (const batch of batches(dataset.train, dataset.features, batchSize, seed + epoch, from)) {
        yield batch;
        if (++k >= count) return;
      }
    },
    endEpoch(record, own) {
      if (validation) {
        const v = evaluate(network, validation);
        record.validationLoss = v.loss;
        record.validationAccuracy = v.accuracy;
      }
      epochEnd(network, dataset, record, validate, probeSize, own);
    },
    ...(validation ? { monitor: { key: "validationAccuracy", higher: true } } : {}),
  };
}
