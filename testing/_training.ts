// Private: the "training" part. A network with the interface on both hidden layers trains on a tiny synthetic
// problem, epochs of shuffled mini-batches through `Network.trainStep` (with, after each epoch, what `train()` does
// there: the interfaces' diagnostics, the gradient probe and an evaluation), and ends with a lower training loss
// than the same network whose hidden layers never move: the interface's gradients must help the layers it drives
// learn. The loop is written out (not `train()`) so that the suite stays synchronous.
import { tf } from "../deps.ts";
import { batches, type Dataset } from "../datasets/dataset.ts";
import { DecouplingBase } from "../interfaces/base.ts";
import { hasDiagnostics, type InterfaceFactory } from "../interfaces/interface.ts";
import { buildNetwork } from "../network/build.ts";
import type { Network } from "../network/network.ts";
import { probeGradients } from "../network/probe.ts";
import type { Registries } from "../network/registries.ts";
import { Registry } from "../registry.ts";
import { batchTensors, evaluate } from "../training/evaluate.ts";
import { call, type Fixture, networkRegistries, networkSpec, tinyDataset, Violation } from "./_fixture.ts";

/** Epochs of the tiny problem. */
export const TRAINING_EPOCHS = 10;
/** Examples per training step. */
const BATCH_SIZE = 24;
/** Examples of the probe batch (the first of the training split). */
const PROBE_SIZE = 64;

/** @throws {Violation} If training throws, or the loss ends no lower than with the hidden layers frozen. */
export function checkTraining(f: Fixture): void {
  const data = tinyDataset(f);
  const { before, after } = trainedLoss(f, data, networkRegistries(f));
  const frozen = trainedLoss(f, data, { ...f.registries, interfaces: frozenRegistry(f.name) }).after;
  if (!(after < frozen)) {
    throw new Violation(
      `${TRAINING_EPOCHS} epochs of training (Network.trainStep on batches of ${BATCH_SIZE}) on a tiny synthetic ` +
        `problem (240 examples, ${f.classes} classes), the interface on both hidden layers, took the training loss ` +
        `from ${before.toFixed(4)} to ${after.toFixed(4)}; expected it below ${frozen.toFixed(4)}, where the same ` +
        `network gets with its hidden layers frozen (only the output layer learning): the interface's gradients ` +
        `must help its layers learn`,
    );
  }
}

// The training loss before and after training.
function trainedLoss(f: Fixture, data: Dataset, registries: Registries): { before: number; after: number } {
  const net = call("buildNetwork()", () => buildNetwork(networkSpec(f), { registries }));
  try {
    const before = call("evaluate()", () => evaluate(net, data.train).loss);
    for (let epoch = 0; epoch < TRAINING_EPOCHS; epoch++) {
      for (const b of batches(data.train, data.features, BATCH_SIZE, f.seed + epoch)) {
        const { x, labels } = batchTensors(b, data.features, data.classes);
        try {
          call("Network.trainStep()", () => net.trainStep(x, labels));
        } finally {
          tf.dispose([x, labels]);
        }
      }
      epochEnd(net, data);
    }
    return { before, after: call("evaluate()", () => evaluate(net, data.train).loss) };
  } finally {
    net.dispose();
  }
}

// What train() does after an epoch: read the interfaces' diagnostics, probe the gradients, evaluate.
function epochEnd(net: Network, data: Dataset): void {
  for (const iface of net.interfaces) if (hasDiagnostics(iface)) call("diagnostics()", () => iface.diagnostics());
  const probe = [...batches(data.train, data.features, PROBE_SIZE, null)][0]!;
  const { x, labels } = batchTensors(probe, data.features, data.classes);
  try {
    call("probeGradients()", () => probeGradients(net, x, labels));
  } finally {
    tf.dispose([x, labels]);
  }
  call("evaluate()", () => evaluate(net, data.test));
}

// An interface that never updates its layer: it decouples and answers null.
class Frozen extends DecouplingBase {
  override send(): null {
    return null;
  }

  synthesize(trigger: tf.Tensor): tf.Tensor {
    return tf.zerosLike(trigger);
  }
}

// An interface registry where `name` is the frozen interface.
function frozenRegistry(name: string): Registry<InterfaceFactory> {
  return new Registry<InterfaceFactory>("interface").register(name, () => new Frozen({ type: name }));
}
