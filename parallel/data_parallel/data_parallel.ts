/**
 * The data-parallel strategy, backprop over Workers and the fair comparator for the pipeline: each step the batch
 * is split into one shard per Worker, each replica computes its shard's gradients, the coordinator averages them
 * (weighted by shard size: the gradient of the whole batch's mean loss) and every replica applies the average.
 *
 * @module
 */
import { checkOptionKeys, optionKeys } from "../../_option_keys.ts";
import { tf } from "../../deps.ts";
import { DivergenceError } from "../../errors.ts";
import type { Batch } from "../../datasets/dataset.ts";
import type { Network } from "../../network/network.ts";
import { firstNonFiniteIndex } from "../../network/non_finite_guard.ts";
import type { BatchOutcome, EpochOutcome, Strategy, StrategyRun } from "../../execution/strategy.ts";
import type { FromReplica, ToReplica } from "./data_worker.ts";
import { readWeights, writeWeights } from "../_weights.ts";
import { setTrainingState, stateProblem, trainingStateOf } from "../_training_state.ts";
import { WorkerPool } from "../transport/_pool.ts";
import { checkWorkerPlugins } from "../_plugins.ts";
import { WorkerError, workerFailure } from "../worker_error.ts";
import { holdOneBlasThread } from "../_blas_threads.ts";

/** Options of `dataParallel`. */
export interface DataParallelOptions {
  /** Number of replicas, one per Worker. @default {2} */
  workers?: number;
}

/**
 * Trains a network whose interfaces are all `backprop` with `workers` data-parallel replicas.
 *
 * @throws {RangeError} If `workers` is not an integer >= 1 (at once); at `start`, if an interface decouples or is
 *   another coupled interface than `backprop`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetwork, dataParallel, syntheticDataset, train } from "../../mod.ts";
 *
 * const data = syntheticDataset({ features: 8, classes: 3, trainCount: 96, testCount: 32 });
 * const net = buildNetwork({ input: [8], layers: [{ type: "dense", units: 8 }, { type: "dense", units: 3 }] });
 * const history = await train(net, data, { batchSize: 32, strategy: dataParallel({ workers: 2 }) });
 * assert.equal(net.steps, 3);
 * assert.equal(history.epochs.length, 1);
 * net.dispose();
 * ```
 */
export function dataParallel(options: DataParallelOptions = {}): Strategy {
  checkOptionKeys("dataParallel()", options, optionKeys<DataParallelOptions>()(["workers"]));
  const { workers = 2 } = options;
  if (!Number.isInteger(workers) || workers < 1) {
    throw new RangeError(`workers must be an integer >= 1, got ${workers}`);
  }
  return new DataParallel(workers);
}

class DataParallel implements Strategy {
  readonly name: string;
  readonly #workers: number;
  #running: { network: Network; pool: WorkerPool<ToReplica, FromReplica>; onNonFinite: string } | null = null;
  #mean = new Float32Array(0);
  #release: () => void = () => {};

  constructor(workers: number) {
    this.name = `data-parallel (${workers} workers)`;
    this.#workers = workers;
  }

  async start(network: Network, run: StrategyRun): Promise<void> {
    if (this.#running !== null) throw new Error(`Strategy "${this.name}" is already running`);
    if (network.kind === "sequence") {
      throw new RangeError(
        "Cannot train a sequence network data-parallel yet: on Workers it runs as a pipeline, cut at a decoupling " +
          'interface between two lstm layers (e.g. examples/text_lstm2_sg.json: "interface": "sg" on the lower ' +
          "lstm), and this one has none; train it without workers",
      );
    }
    const decoupling = network.interfaces.findIndex((i) => i.decouples);
    if (decoupling >= 0) {
      throw new RangeError(
        `Data-parallel training needs every interface to be coupled (backprop): the interface ` +
          `"${network.interfaces[decoupling]!.type}" of layer ${decoupling} decouples; train it with pipeline()`,
      );
    }
    await checkWorkerPlugins(network);
    // The replicas compute plain backprop gradients (shardGradients): another coupled interface's backward() would
    // be left out.
    const other = network.interfaces.findIndex((i) => i.type !== "backprop");
    if (other >= 0) {
      throw new RangeError(
        `Data-parallel training computes plain backprop gradients: the interface "${
          network.interfaces[other]!.type
        }" ` +
          `of layer ${other} is not backprop (its backward() would be left out); train it with oneThread()`,
      );
    }
    const spec = network.getSpec();
    const last = network.layers.length - 1;
    const backend = tf.getBackend();
    // One BLAS thread per Worker until stop(): the count is process-wide (see _blas_threads.ts).
    this.#release = holdOneBlasThread();
    const pool = new WorkerPool<ToReplica, FromReplica>(
      new URL("./data_worker.ts", import.meta.url),
      this.#workers,
      (k, m) => workerFailure(k, 0, last, m),
    );
    this.#running = { network, pool, onNonFinite: run.onNonFinite };
    // Every replica starts where the network stands (it may have been trained or loaded before): its weights and
    // its optimizers' state.
    const weights = readWeights(network.variables);
    const state = trainingStateOf(network);
    if (typeof state === "string") console.warn(`data-parallel: the replicas start with fresh optimizers: ${state}`);
    const init: ToReplica = {
      kind: "init",
      spec,
      plugins: [...network.plugins],
      seed: spec.seed ?? 0,
      backend,
      weights,
      ...(typeof state === "string" ? {} : { state }),
    };
    await pool.race(Promise.all(
      Array.from(
        { length: pool.size },
        (_, k) =>
          pool.ask(k, init, (r): r is Extract<FromReplica, { kind: "ready" }> => r.kind === "ready").then((ready) => {
            if (ready.backend !== backend) {
              throw new WorkerError(k, 0, last, `it runs on backend "${ready.backend}", not on "${backend}"`);
            }
          }),
      ),
    ));
  }

  async epoch(batches: Iterable<Batch>, onBatch: (outcome: BatchOutcome) => void): Promise<EpochOutcome> {
    if (this.#running === null) throw new Error(`Strategy "${this.name}" was not started`);
    const { network, pool, onNonFinite } = this.#running;
    const features = network.inputUnits;
    let skipped = 0;
    for (const b of batches) {
      const shard = Math.ceil(b.size / pool.size);
      const parts = Array.from({ length: pool.size }, (_, k) => {
        const lo = Math.min(k * shard, b.size), hi = Math.min(lo + shard, b.size);
        return { lo, hi };
      }).filter((p) => p.hi > p.lo);
      const results = await pool.race(Promise.all(parts.map((p, k) => {
        const x = b.x.slice(p.lo * features, p.hi * features);
        const step: ToReplica = { kind: "step", x, rows: p.hi - p.lo, labels: b.labels.slice(p.lo, p.hi) };
        return pool.ask(k, step, (r): r is Extract<FromReplica, { kind: "gradients" }> => r.kind === "gradients", [
          x.buffer,
        ]);
      })));
      let mean = this.#mean;
      if (mean.length !== results[0]!.gradients.length) {
        mean = this.#mean = new Float32Array(results[0]!.gradients.length);
      } else mean.fill(0);
      let loss = 0, correct = 0;
      for (const r of results) {
        const w = r.rows / b.size;
        for (let i = 0; i < mean.length; i++) mean[i]! += w * r.gradients[i]!;
        loss += w * r.loss;
        correct += r.correct;
      }
      // The divergence guard: every replica applies the average, or (skip) none does, so they stay identical.
      const bad = firstNonFiniteIndex(mean);
      if (bad >= 0 && onNonFinite === "error") {
        const what = `element ${bad} of the averaged weight gradients (${whereIn(network, bad)})`;
        throw new DivergenceError(what, mean[bad]!, undefined, undefined, { step: network.steps });
      }
      if (bad >= 0) skipped += network.layers.length;
      else {
        // Each replica gets the average in the buffer it sent (or a new one): buffers go round instead of piling up
        // as garbage the Workers' collectors are slow to free (the process grew ~1 GB per epoch that way).
        for (let k = 0; k < pool.size; k++) {
          const buffer = results[k]?.gradients ?? new Float32Array(mean.length);
          buffer.set(mean);
          pool.post(k, { kind: "apply", gradients: buffer }, [buffer.buffer]);
        }
      }
      network.steps++;
      onBatch({ loss, correct, size: b.size });
    }
    const [collected] = await pool.race(Promise.all([
      pool.ask(0, { kind: "collect" }, (r): r is Extract<FromReplica, { kind: "collected" }> => r.kind === "collected"),
    ]));
    // Replica 0's state is every replica's: checked whole before anything is set.
    const expected = trainingStateOf(network);
    if (typeof expected === "object") {
      const problem = stateProblem(collected!.state, network, expected, () => true);
      if (problem !== undefined) {
        throw new WorkerError(0, 0, network.layers.length - 1, `its "collected" reply is malformed: ${problem}`);
      }
    }
    writeWeights(network.variables, collected!.weights, "Replica 0");
    if (typeof expected === "object") setTrainingState(network, collected!.state!);
    return { diagnostics: [], skippedUpdates: skipped };
  }

  stop(): Promise<void> {
    this.#running?.pool.terminate();
    this.#running = null;
    this.#release();
    return Promise.resolve();
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
