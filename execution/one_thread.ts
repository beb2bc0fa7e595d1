/**
 * The default strategy: every step on this thread, with `Network.trainStep`.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Network } from "../network/network.ts";
import { batchTensors } from "../datasets/batch_tensors.ts";
import { type InterfaceDiagnostics, interfaceDiagnostics } from "../network/interface_diagnostics.ts";
import { type BatchOutcome, type EpochOutcome, isSequenceItem, type Strategy, type TrainingBatch } from "./strategy.ts";
import { trainSequenceItem } from "../recurrent/sequence_epochs.ts";
import { stateDiagnostics } from "../recurrent/state_diagnostics.ts";

/**
 * Trains on this thread: each batch is one `Network.trainStep`. `train()` uses it when no strategy is given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetwork, oneThread, syntheticDataset, train } from "../mod.ts";
 *
 * const data = syntheticDataset({ features: 4, classes: 2, trainCount: 32, testCount: 8 });
 * const net = buildNetwork({ input: [4], layers: [{ type: "dense", units: 2 }] });
 * const history = await train(net, data, { batchSize: 8, strategy: oneThread() });
 * assert.equal(net.steps, 4);
 * assert.equal(history.epochs.length, 1);
 * net.dispose();
 * ```
 */
export function oneThread(): Strategy {
  return new OneThread();
}

// How long the loop trains before it lets the event loop run (milliseconds).
const YIELD_MS = 50;

class OneThread implements Strategy {
  readonly name = "one thread";
  #network: Network | null = null;

  start(network: Network): Promise<void> {
    if (this.#network !== null) return Promise.reject(new Error(`Strategy "${this.name}" is already running`));
    this.#network = network;
    return Promise.resolve();
  }

  async epoch(batches: Iterable<TrainingBatch>, onBatch: (outcome: BatchOutcome) => void): Promise<EpochOutcome> {
    const network = this.#network;
    if (network === null) throw new Error(`Strategy "${this.name}" was not started`);
    const skipped = network.skippedUpdates;
    const features = network.inputUnits, classes = network.outputUnits;
    let turn = performance.now();
    const items = batches[Symbol.iterator]();
    for (;;) {
      // Let the event loop run now and then (a signal handler, a timer) before the next batch is taken: a Ctrl-C is
      // heard between two batches.
      if (performance.now() - turn > YIELD_MS) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        turn = performance.now();
      }
      const next = items.next();
      if (next.done) break;
      const b = next.value;
      if (isSequenceItem(b)) {
        onBatch(trainSequenceItem(network, b));
        continue;
      }
      const { x, labels } = batchTensors(b, features, classes);
      let step;
      try {
        step = network.trainStep(x, labels);
      } finally {
        tf.dispose([x, labels]);
      }
      onBatch({ loss: step.loss, correct: step.correct, size: b.size });
    }
    return {
      diagnostics: [
        ...withInputSynthesizers(interfaceDiagnostics(network.interfaces), network),
        ...stateDiagnostics(network),
      ],
      skippedUpdates: network.skippedUpdates - skipped,
    };
  }

  stop(): Promise<void> {
    this.#network = null;
    return Promise.resolve();
  }
}

// Adds each input synthesizer's numbers (`inputSynthesizerLoss`) to its layer's interface diagnostics.
function withInputSynthesizers(diagnostics: InterfaceDiagnostics[], network: Network): InterfaceDiagnostics[] {
  network.inputSynthesizers.forEach((unlock, layer) => {
    if (unlock === undefined) return;
    const entry = diagnostics.find((d) => d.layer === layer);
    if (entry) Object.assign(entry, unlock.diagnostics());
    else diagnostics.push({ layer, type: network.interfaces[layer]!.type, ...unlock.diagnostics() });
  });
  return diagnostics;
}
