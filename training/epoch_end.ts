/**
 * What happens after an epoch's training, in every mode: evaluation on the test split and the interfaces'
 * diagnostics (their own numbers and the probe of synthetic against true gradients).
 *
 * @module
 */
import { tf } from "../deps.ts";
import { batchTensors } from "../datasets/batch_tensors.ts";
import type { Dataset } from "../datasets/dataset.ts";
import { type InterfaceDiagnostics, mergeDiagnostics } from "../network/interface_diagnostics.ts";
import type { Network } from "../network/network.ts";
import { probeGradients } from "../network/probe.ts";
import { evaluate } from "./evaluate.ts";
import type { EpochRecord } from "./history.ts";
import { memoryRecord } from "./memory.ts";

/**
 * Completes `record`: test loss and accuracy (when `validate`), `interfaces` (the interfaces' own numbers, `own`,
 * as the strategy gathered them, merged with the probe), and `memory` (measured last).
 */
export function epochEnd(
  network: Network,
  dataset: Dataset,
  record: EpochRecord,
  validate: boolean,
  probeSize: number,
  own: readonly InterfaceDiagnostics[],
): void {
  if (validate) {
    const evalStart = performance.now();
    const test = evaluate(network, dataset.test);
    record.testLoss = test.loss;
    record.testAccuracy = test.accuracy;
    record.evalSeconds = (performance.now() - evalStart) / 1000;
  }
  const diagnostics = mergeDiagnostics(own, probe(network, dataset, probeSize));
  if (diagnostics.length > 0) record.interfaces = diagnostics;
  record.memory = memoryRecord();
}

// Each synthesising interface's gradient against the true one on the probe batch (the first examples of the split).
function probe(network: Network, dataset: Dataset, probeSize: number): InterfaceDiagnostics[] {
  if (probeSize <= 0) return [];
  const size = Math.min(probeSize, dataset.train.count);
  const { x, labels } = batchTensors(
    { x: dataset.train.x.subarray(0, size * dataset.features), labels: dataset.train.labels.subarray(0, size), size },
    dataset.features,
    dataset.classes,
  );
  try {
    return probeGradients(network, x, labels);
  } finally {
    tf.dispose([x, labels]);
  }
}
