/**
 * What happens after an epoch's training, in every mode: evaluation on the test split and the interfaces'
 * diagnostics (their own numbers and the probe of synthetic against true gradients).
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Dataset } from "../datasets/dataset.ts";
import type { Network } from "../network/network.ts";
import { probeGradients } from "../network/probe.ts";
import { hasDiagnostics } from "../interfaces/interface.ts";
import { batchTensors, evaluate } from "./evaluate.ts";
import { memoryRecord } from "./memory.ts";
import type { EpochRecord, InterfaceDiagnostics } from "./train.ts";

/**
 * Completes `record`: test loss and accuracy (when `validate`), `interfaces`, and `memory` (measured last). `own`
 * gives an interface's own numbers (by default, from its `diagnostics()`).
 */
export function epochEnd(
  network: Network,
  dataset: Dataset,
  record: EpochRecord,
  validate: boolean,
  probeSize: number,
  own: (layer: number) => InterfaceDiagnostics | undefined = (layer) => {
    const iface = network.interfaces[layer]!;
    return hasDiagnostics(iface) ? { layer, type: iface.type, ...iface.diagnostics() } : undefined;
  },
): void {
  if (validate) {
    const evalStart = performance.now();
    const test = evaluate(network, dataset.test);
    record.testLoss = test.loss;
    record.testAccuracy = test.accuracy;
    record.evalSeconds = (performance.now() - evalStart) / 1000;
  }
  const diagnostics = interfaceDiagnostics(network, dataset, probeSize, own);
  if (diagnostics.length > 0) record.interfaces = diagnostics;
  record.memory = memoryRecord();
}

// Each interface's own numbers for the epoch, and its synthetic-vs-true gradient on the probe batch.
function interfaceDiagnostics(
  network: Network,
  dataset: Dataset,
  probeSize: number,
  own: (layer: number) => InterfaceDiagnostics | undefined,
): InterfaceDiagnostics[] {
  const byLayer = new Map<number, InterfaceDiagnostics>();
  network.interfaces.forEach((_, layer) => {
    const d = own(layer);
    if (d) byLayer.set(layer, d);
  });
  if (probeSize > 0) {
    const size = Math.min(probeSize, dataset.train.count);
    const probe = batchTensors(
      { x: dataset.train.x.subarray(0, size * dataset.features), labels: dataset.train.labels.subarray(0, size), size },
      dataset.features,
      dataset.classes,
    );
    try {
      for (const p of probeGradients(network, probe.x, probe.labels)) {
        const entry = byLayer.get(p.layer) ?? { layer: p.layer, type: p.type };
        entry.cosine = p.cosine;
        entry.normRatio = p.normRatio;
        entry.weightCosine = p.weightCosine;
        byLayer.set(p.layer, entry);
      }
    } finally {
      tf.dispose([probe.x, probe.labels]);
    }
  }
  return [...byLayer.values()].sort((a, b) => a.layer - b.layer);
}
