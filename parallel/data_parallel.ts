/**
 * Data-parallel backprop over Workers, the fair comparator for the pipeline: each step the batch is split into
 * one shard per Worker, each replica computes its shard's gradients, this coordinator averages them (weighted by
 * shard size: the gradient of the whole batch's mean loss) and every replica applies the average.
 *
 * @module
 */
import { DivergenceError } from "../errors.ts";
import { firstNonFiniteIndex, nonFinitePolicy } from "../network/non_finite_guard.ts";
import { readWeights, writeWeights } from "./_weights.ts";
import { batches, type Dataset } from "../datasets/dataset.ts";
import type { Network } from "../network/network.ts";
import type { History, TrainOptions } from "../training/train.ts";
import { epochEnd } from "../training/epoch_end.ts";
import { EpochMeter, HistoryRecorder } from "../training/epoch_meter.ts";
import type { FromReplica, ToReplica } from "./data_worker.ts";
import { WorkerError } from "./pipeline.ts";

/** Trains a backprop network on `dataset` with `workers` data-parallel replicas; `network` ends with the weights. */
export async function trainDataParallel(
  network: Network,
  dataset: Dataset,
  options: TrainOptions & { workers: number },
): Promise<History> {
  const { epochs = 1, batchSize = 128, seed = 0, workers, callbacks = {}, validate = true } = options;
  const onNonFinite = nonFinitePolicy(options.onNonFinite ?? "error");
  if (network.interfaces.some((i) => i.type !== "backprop")) {
    throw new RangeError("Data-parallel training needs every interface to be backprop");
  }
  const spec = network.getSpec();
  const threads = Array.from(
    { length: workers },
    () => new Worker(new URL("./data_worker.ts", import.meta.url).href, { type: "module" }),
  );
  let fail: (e: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => fail = reject);
  failed.catch(() => {});
  const waiting: ((m: FromReplica) => void)[] = [];
  threads.forEach((w, k) => {
    const last = network.layers.length - 1;
    w.onmessage = (e: MessageEvent<FromReplica>) => {
      if (e.data.kind === "error") fail(new WorkerError(k, 0, last, e.data.message));
      else waiting[k]?.(e.data);
    };
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      fail(new WorkerError(k, 0, last, e.message));
    };
  });
  const send = (k: number, m: ToReplica, buffers: ArrayBufferLike[] = []) =>
    threads[k]!.postMessage(m, buffers as Transferable[]);
  const ask = <T extends FromReplica>(k: number, m: ToReplica, buffers: ArrayBufferLike[] = []) =>
    new Promise<T>((resolve) => {
      waiting[k] = (r) => resolve(r as T);
      send(k, m, buffers);
    });
  const all = <T>(ps: Promise<T>[]) => Promise.race([Promise.all(ps), failed]);
  try {
    // Every replica starts from the network's current weights (it may have been trained or loaded before).
    const start = readWeights(network.variables);
    await all(threads.map((_, k) => ask(k, { kind: "init", spec, seed: spec.seed ?? 0, weights: start })));
    const history = new HistoryRecorder(callbacks.onEpochEnd);
    const { features } = dataset;
    const perEpoch = Math.ceil(dataset.train.count / batchSize);
    let mean = new Float32Array(0);
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const meter = new EpochMeter(epoch, perEpoch, onNonFinite === "skip");
      let skipped = 0;
      for (const b of batches(dataset.train, features, batchSize, seed + epoch)) {
        const shard = Math.ceil(b.size / workers);
        const parts = threads.map((_, k) => {
          const lo = Math.min(k * shard, b.size), hi = Math.min(lo + shard, b.size);
          return { lo, hi };
        }).filter((p) => p.hi > p.lo);
        const results = await all(parts.map((p, k) => {
          const x = b.x.slice(p.lo * features, p.hi * features);
          return ask<Extract<FromReplica, { kind: "gradients" }>>(k, {
            kind: "step",
            x,
            rows: p.hi - p.lo,
            labels: b.labels.slice(p.lo, p.hi),
          }, [x.buffer]);
        }));
        if (mean.length !== results[0]!.gradients.length) mean = new Float32Array(results[0]!.gradients.length);
        else mean.fill(0);
        let loss = 0, correct = 0;
        for (const r of results) {
          const w = r.rows / b.size;
          for (let i = 0; i < mean.length; i++) mean[i]! += w * r.gradients[i]!;
          loss += w * r.loss;
          correct += r.correct;
        }
        const info = meter.add(loss, correct, b.size);
        // The divergence guard: every replica applies the average, or (skip) none does, so they stay identical.
        const bad = firstNonFiniteIndex(mean);
        if (bad >= 0 && onNonFinite === "error") {
          const what = `element ${bad} of the averaged weight gradients (${whereIn(network, bad)})`;
          throw new DivergenceError(what, mean[bad]!, epoch, meter.batches);
        }
        if (bad >= 0) skipped += network.layers.length;
        else {
          // Each replica gets the average in the buffer it sent (or a new one): buffers go round instead of piling up
          // as garbage the Workers' collectors are slow to free (the process grew ~1 GB per epoch that way).
          threads.forEach((_, k) => {
            const buffer = results[k]?.gradients ?? new Float32Array(mean.length);
            buffer.set(mean);
            send(k, { kind: "apply", gradients: buffer }, [buffer.buffer]);
          });
        }
        network.steps++;
        callbacks.onBatchEnd?.(info);
      }
      const collected = await all([ask<Extract<FromReplica, { kind: "collected" }>>(0, { kind: "collect" })]);
      writeWeights(network.variables, collected[0]!.weights, "Replica 0");
      const record = meter.record();
      if (onNonFinite === "skip") record.skippedUpdates = skipped;
      epochEnd(network, dataset, record, validate, 0);
      history.add(record);
    }
    return history.finish(dataset.train.count);
  } finally {
    for (const w of threads) w.terminate();
  }
}

// Which layer and trainable variable element `index` of the flattened gradients belongs to.
function whereIn(network: Network, index: number): string {
  let offset = 0;
  for (const [j, layer] of network.layers.entries()) {
    for (const [k, v] of layer.trainable.entries()) {
      if (index < offset + v.size) return `layer ${j}, trainable[${k}]`;
      offset += v.size;
    }
  }
  return "beyond the last layer";
}
