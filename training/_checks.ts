// Private: what `train` checks before it starts: the options, and that the dataset fits the network.
import { checkSplit, type Dataset } from "../datasets/dataset.ts";
import { show } from "../errors.ts";
import type { Network } from "../network/network.ts";
import { nonFinitePolicy } from "../network/non_finite_guard.ts";
import type { Strategy } from "../execution/strategy.ts";
import { SEQUENCE_OPTION_KEYS, TRAIN_CALLBACK_KEYS, TRAIN_OPTION_KEYS, type TrainOptions } from "./options.ts";
import { checkOptionKeys } from "../_option_keys.ts";

/** Throws a RangeError unless the dataset fits the network and its splits are sound. */
export function checkFit(network: Network, dataset: Dataset): void {
  if (dataset.features !== network.inputUnits) {
    throw new RangeError(
      `Dataset "${dataset.name}" has ${dataset.features} features per example, the network takes ${network.inputUnits}`,
    );
  }
  if (dataset.classes !== network.outputUnits) {
    throw new RangeError(
      `Dataset "${dataset.name}" has ${dataset.classes} classes, the network's output layer has ${network.outputUnits} units`,
    );
  }
  checkSplit(`${dataset.name}.train`, dataset.train, dataset.features, dataset.classes);
  checkSplit(`${dataset.name}.test`, dataset.test, dataset.features, dataset.classes);
}

/** The options of `train`, checked before anything starts. */
export function checkOptions(options: TrainOptions): void {
  checkOptionKeys("train()", options, TRAIN_OPTION_KEYS);
  checkOptionKeys("train()'s callbacks", options.callbacks, TRAIN_CALLBACK_KEYS);
  checkOptionKeys("train()'s sequence options", options.sequence, SEQUENCE_OPTION_KEYS);
  const { epochs = 1, initialEpoch = 0, batchSize = 128, seed = 0, probeSize = 256 } = options;
  const integer = (name: string, value: number, min: number) => {
    if (!Number.isInteger(value) || value < min) {
      throw new RangeError(`${name} must be an integer${min > -Infinity ? ` >= ${min}` : ""}, got ${value}`);
    }
  };
  integer("epochs", epochs, 1);
  if (options.steps !== undefined) {
    integer("steps", options.steps, 1);
    if (options.epochs !== undefined) throw new RangeError("Give epochs or a budget of steps, not both");
  }
  if (options.stepsPerEpoch !== undefined) integer("stepsPerEpoch", options.stepsPerEpoch, 1);
  integer("initialEpoch", initialEpoch, 0);
  integer("batchSize", batchSize, 1);
  integer("seed", seed, -Infinity);
  integer("probeSize", probeSize, 0);
  if (options.patience !== undefined) {
    integer("patience", options.patience, 1);
  }
  if (options.checkpointEvery !== undefined) integer("checkpointEvery", options.checkpointEvery, 1);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new TypeError(`signal must be an AbortSignal, got ${show(options.signal)}`);
  }
  const fraction = options.validationSplit;
  if (fraction !== undefined && (typeof fraction !== "number" || !(fraction > 0 && fraction < 1))) {
    throw new RangeError(`validationSplit must be a number in (0, 1), got ${show(fraction)}`);
  }
  nonFinitePolicy(options.onNonFinite ?? "error");
  const strategy = options.strategy as Partial<Strategy> | undefined;
  if (
    strategy !== undefined &&
    !["start", "epoch", "stop"].every((m) => typeof (strategy as Record<string, unknown>)[m] === "function")
  ) {
    throw new TypeError(
      `strategy must be a Strategy (start, epoch, stop), e.g. oneThread() or pipeline({ workers: 2 }), got ${
        show(strategy)
      }`,
    );
  }
}
