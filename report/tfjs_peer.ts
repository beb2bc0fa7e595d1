/**
 * The peer a TF.js user would pick: the same FCN (FC -> BN -> ReLU blocks, softmax output, Adam 1e-3) in TF.js
 * layers, trained with `model.fit`, one epoch at a time, on the same data order as `dni` (each epoch's examples
 * are shuffled by the same seed, then fitted with `shuffle: false`).
 *
 * @module
 */
import { tf } from "../deps.ts";
import { batchTensors } from "../datasets/batch_tensors.ts";
import { batches, type Dataset } from "../datasets/dataset.ts";
import { memoryRecord } from "../training/memory.ts";
import type { EpochRecord } from "../training/history.ts";
import { evaluateLayersModel } from "./tfjs_evaluate.ts";

/** The FCN of `fcnSpec` in TF.js layers. */
export function layersFcn(depth: number, features: number, classes: number): tf.Sequential {
  const model = tf.sequential();
  for (let i = 0; i < depth; i++) {
    model.add(tf.layers.dense({ ...(i === 0 ? { inputShape: [features] } : {}), units: 256, useBias: false }));
    model.add(tf.layers.batchNormalization({ epsilon: 1e-3, momentum: 0.99 }));
    model.add(tf.layers.activation({ activation: "relu" }));
  }
  model.add(tf.layers.dense({ units: classes, activation: "softmax" }));
  model.compile({ optimizer: tf.train.adam(0.001), loss: "categoricalCrossentropy" });
  return model;
}

/** Options of `fitLayersPeer`. */
export interface PeerOptions {
  epochs: number;
  batchSize: number;
  seed: number;
  depth: number;
  /** Called after each epoch. */
  onEpochEnd?: (record: EpochRecord) => void;
}

/** Trains the TF.js layers FCN with `fit` and records each epoch like `train()` does. */
export async function fitLayersPeer(dataset: Dataset, options: PeerOptions): Promise<EpochRecord[]> {
  const { epochs, batchSize, seed, depth, onEpochEnd } = options;
  const { features, classes } = dataset;
  const model = layersFcn(depth, features, classes);
  const records: EpochRecord[] = [];
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      // The epoch's examples in dni's order for the same seed.
      const all = batches(dataset.train, features, dataset.train.count, seed + epoch).next().value!;
      const { x, labels: y } = batchTensors(all, features, classes);
      const start = performance.now();
      const fitted = await model.fit(x, y, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
      const seconds = (performance.now() - start) / 1000;
      tf.dispose([x, y]);
      const evalStart = performance.now();
      const test = evaluateLayersModel(model, dataset.test, features, classes);
      const record: EpochRecord = {
        epoch,
        loss: fitted.history.loss![0] as number,
        accuracy: NaN,
        testLoss: test.loss,
        testAccuracy: test.accuracy,
        seconds,
        samplesPerSecond: dataset.train.count / seconds,
        evalSeconds: (performance.now() - evalStart) / 1000,
        memory: memoryRecord(),
      };
      records.push(record);
      onEpochEnd?.(record);
    }
  } finally {
    model.dispose();
  }
  return records;
}
