// Private: the "training" part. A network with the interface on both hidden layers trains through `train()` (with
// evaluation and the gradient probe) on a tiny synthetic problem, and ends with a lower training loss than the same
// network whose hidden layers never move: the interface's gradients must help the layers it drives learn.
import type { tf } from "../deps.ts";
import type { Dataset } from "../datasets/dataset.ts";
import type { InterfaceFactory } from "../interfaces/interface.ts";
import { buildNetwork } from "../network/build.ts";
import type { Registries } from "../network/registries.ts";
import { Registry } from "../registry.ts";
import { evaluate } from "../training/evaluate.ts";
import { train } from "../training/train.ts";
import { call, type Fixture, networkRegistries, networkSpec, tinyDataset, Violation } from "./_fixture.ts";

/** Epochs of the tiny problem. */
export const TRAINING_EPOCHS = 10;

/** @throws {Violation} If training throws, or the loss ends no lower than with the hidden layers frozen. */
export function checkTraining(f: Fixture): void {
  const data = tinyDataset(f);
  const { before, after } = call("train()", () => trainedLoss(f, data, networkRegistries(f)));
  const frozen = trainedLoss(f, data, { ...f.registries, interfaces: frozenRegistry(f.name) }).after;
  if (!(after < frozen)) {
    throw new Violation(
      `${TRAINING_EPOCHS} epochs of train() on a tiny synthetic problem (240 examples, ${f.classes} classes), the ` +
        `interface on both hidden layers, took the training loss from ${before.toFixed(4)} to ${after.toFixed(4)}; ` +
        `expected it below ${frozen.toFixed(4)}, where the same network gets with its hidden layers frozen (only the ` +
        `output layer learning): the interface's gradients must help its layers learn`,
    );
  }
}

// The training loss before and after training.
function trainedLoss(f: Fixture, data: Dataset, registries: Registries): { before: number; after: number } {
  const net = buildNetwork(networkSpec(f), { registries });
  try {
    const before = evaluate(net, data.train).loss;
    train(net, data, { epochs: TRAINING_EPOCHS, batchSize: 24, seed: f.seed, probeSize: 64 });
    return { before, after: evaluate(net, data.train).loss };
  } finally {
    net.dispose();
  }
}

// An interface registry where `name` is an interface that never updates its layer (answers null).
function frozenRegistry(name: string): Registry<InterfaceFactory> {
  return new Registry<InterfaceFactory>("interface").register(name, () => ({
    type: name,
    variables: [] as tf.Variable[],
    send: () => null,
    receive: () => undefined,
    getConfig: () => ({ type: name }),
    dispose() {},
  }));
}
