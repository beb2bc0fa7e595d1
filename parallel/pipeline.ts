/**
 * Asynchronous decoupled training across Workers: the network is cut at its `sg`/`csg` interfaces into modules,
 * grouped into one stage per Worker by estimated cost; activations flow forward and messages flow back between the
 * stages (directly, over MessageChannel ports; this coordinator feeds stage 0), and each stage updates with its synthetic gradient without waiting for the
 * stages above, at most `staleness` batches ahead of their messages. After each epoch the stages' weights are
 * gathered into the given network, which is then evaluated as a whole.
 *
 * @module
 */
import { nonFinitePolicy } from "../network/non_finite_guard.ts";
import { batches, type Dataset } from "../datasets/dataset.ts";
import type { Network } from "../network/network.ts";
import type { BatchInfo, EpochRecord, History, InterfaceDiagnostics, TrainOptions } from "../training/train.ts";
import { epochEnd } from "../training/epoch_end.ts";
import { EpochMeter, HistoryRecorder } from "../training/epoch_meter.ts";
import { planStages, type Stage } from "./partition.ts";
import type { FromStage, ToStage } from "./protocol.ts";
import { readWeights, writeWeights } from "./_weights.ts";

/** What the pipeline measured per stage in an epoch. */
export interface StageRecord extends Stage {
  /** Seconds the stage computed. */
  busySeconds: number;
  /** Seconds the stage had nothing it was allowed to do (no input, or too far ahead of its messages). */
  waitSeconds: number;
  /** The most batches the stage ran ahead of the messages from above (bounded by `staleness`). */
  maxStaleness: number;
}

/** Options of the pipeline, on top of `TrainOptions`. */
export interface PipelineOptions extends TrainOptions {
  /** Number of Workers (stages). */
  workers: number;
  /** How many batches a stage may run ahead of the messages from the stage above. @default {1} */
  staleness?: number;
  /** Fail if no stage reports anything for this long (seconds). @default {120} */
  stallSeconds?: number;
  /** For tests: make the stage of this index throw from its third batch on. */
  failStage?: number;
}

/** A Worker failed; the message names the module. */
export class WorkerError extends Error {
  /** Index of the stage (the module) that failed. */
  readonly stage: number;
  /**
   * Makes the error; the message is `Module <stage> (layers <lo>-<hi>) failed: <problem>`.
   *
   * @param stage Index of the stage.
   * @param lo The stage's first layer.
   * @param hi The stage's last layer.
   * @param problem What went wrong in the Worker.
   */
  constructor(stage: number, lo: number, hi: number, problem: string) {
    super(`Module ${stage} (layers ${lo}-${hi}) failed: ${problem}`);
    this.name = "WorkerError";
    this.stage = stage;
  }
}

/** Trains `network` on `dataset` with its modules in `workers` Workers. The network ends with the trained weights. */
export async function trainPipeline(network: Network, dataset: Dataset, options: PipelineOptions): Promise<History> {
  const { epochs = 1, batchSize = 128, seed = 0, workers, staleness = 1, callbacks = {}, probeSize = 256 } = options;
  const stallSeconds = options.stallSeconds ?? 120;
  const onNonFinite = nonFinitePolicy(options.onNonFinite ?? "error");
  if (!Number.isInteger(staleness) || staleness < 0) {
    throw new RangeError(`staleness must be an integer >= 0, got ${staleness}`);
  }
  const stages = planStages(network, workers);
  if (stages.length < 2) {
    throw new RangeError(
      `Cannot run this network in a pipeline: it has no sg/csg interface to cut at (use data-parallel workers)`,
    );
  }
  const spec = network.getSpec();
  // Every stage starts from the network's current weights (it may have been trained or loaded before).
  const start = readWeights(network.variables);
  const threads = stages.map(() => new Worker(new URL("./stage_worker.ts", import.meta.url).href, { type: "module" }));
  let fail: (e: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => fail = reject);
  failed.catch(() => {});
  const handlers: ((m: FromStage) => void)[] = [];
  // A watchdog: if no stage says anything for `stallSeconds`, fail instead of hanging.
  let lastHeard = performance.now();
  const watchdog = setInterval(() => {
    if (performance.now() - lastHeard > stallSeconds * 1000) {
      fail(new Error(`The pipeline made no progress for ${stallSeconds} s (no message from any stage)`));
    }
  }, 1000);
  threads.forEach((w, k) => {
    const { lo, hi } = stages[k]!;
    w.onmessage = (e: MessageEvent<FromStage>) => {
      lastHeard = performance.now();
      if (e.data.kind === "error") fail(new WorkerError(k, lo, hi, e.data.message));
      else handlers[k]?.(e.data);
    };
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      fail(new WorkerError(k, lo, hi, e.message));
    };
  });
  const send = (k: number, m: ToStage, buffers: (ArrayBufferLike | MessagePort)[] = []) =>
    threads[k]!.postMessage(m, buffers as Transferable[]);
  const race = <T>(p: Promise<T>) => Promise.race([p, failed]);
  try {
    // Start every stage, with a direct channel between each pair of neighbours.
    const channels = stages.slice(1).map(() => new MessageChannel());
    await race(Promise.all(stages.map((st, k) =>
      new Promise<void>((resolve) => {
        handlers[k] = (m) => m.kind === "ready" && resolve();
        const down = k > 0 ? channels[k - 1]!.port2 : undefined;
        const up = k < stages.length - 1 ? channels[k]!.port1 : undefined;
        send(k, {
          kind: "init",
          spec,
          seed: spec.seed ?? 0,
          weights: start,
          lo: st.lo,
          hi: st.hi,
          staleness,
          messageBelow: st.messageBelow === true,
          fail: k === options.failStage ? "injected failure" : undefined,
          onNonFinite,
          down,
          up,
        }, [down, up].filter((p) => p !== undefined));
      })
    )));
    const history = new HistoryRecorder(callbacks.onEpochEnd);
    const { features } = dataset;
    const perEpoch = Math.ceil(dataset.train.count / batchSize);
    let step = network.steps;
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const meter = new EpochMeter(epoch, perEpoch, onNonFinite === "skip");
      const source = batches(dataset.train, features, batchSize, seed + epoch);
      let queued = 0;
      const epochDone = new Promise<void>((resolve) => {
        const feed = () => {
          // Keep stage 0 supplied a little ahead of what it may consume.
          while (queued < staleness + 2) {
            const next = source.next();
            if (next.done) return;
            const b = next.value;
            queued++;
            send(0, { kind: "forward", step: step++, x: b.x, rows: b.size, labels: b.labels }, [b.x.buffer]);
          }
        };
        stages.forEach((_, k) => {
          handlers[k] = (m) => {
            switch (m.kind) {
              case "consumed":
                if (k === 0) {
                  queued--;
                  feed();
                }
                return;
              case "done": {
                const rows = Math.min(batchSize, dataset.train.count - meter.batches * batchSize);
                let info: BatchInfo;
                try {
                  info = meter.add(m.loss, m.correct, rows);
                } catch (error) {
                  return fail(error as Error);
                }
                callbacks.onBatchEnd?.(info);
                if (meter.batches === perEpoch) resolve();
              }
            }
          };
        });
        feed();
      });
      await race(epochDone);
      // Let the last messages arrive, then gather weights and numbers from every stage.
      const collected = await race(
        Promise.all(stages.map((_, k) =>
          new Promise<Extract<FromStage, { kind: "collected" }>>((resolve) => {
            const previous = handlers[k]!;
            handlers[k] = (m) => m.kind === "collected" ? resolve(m) : previous(m);
            send(k, { kind: "collect" });
          })
        )),
      );
      const diagnostics = new Map<number, Record<string, number>>();
      collected.forEach((c, k) => {
        assignStageWeights(network, stages[k]!, c.weights);
        for (const d of c.diagnostics) diagnostics.set(d.layer, d.values);
      });
      const record: EpochRecord = {
        ...meter.record(),
        stages: collected.map((c, k) => ({
          ...stages[k]!,
          busySeconds: c.busySeconds,
          waitSeconds: c.waitSeconds,
          maxStaleness: Math.max(0, c.maxOutstanding - 1),
        })),
      };
      if (onNonFinite === "skip") record.skippedUpdates = collected.reduce((n, c) => n + c.skippedUpdates, 0);
      epochEnd(network, dataset, record, options.validate ?? true, probeSize, (layer) => {
        const values = diagnostics.get(layer);
        return values ? { layer, type: network.interfaces[layer]!.type, ...values } as InterfaceDiagnostics : undefined;
      });
      history.add(record);
    }
    network.steps = step;
    return history.finish(dataset.train.count);
  } finally {
    clearInterval(watchdog);
    for (const w of threads) w.terminate();
  }
}

// Copies a stage's gathered weights into the network (same variable order as the stage sends them).
function assignStageWeights(network: Network, stage: Stage, weights: Float32Array[]): void {
  const last = stage.hi === network.layers.length - 1;
  const variables = [
    ...network.layers.slice(stage.lo, stage.hi + 1).flatMap((l) => [...l.trainable, ...l.state]),
    ...network.interfaces.slice(stage.lo, last ? stage.hi : stage.hi + 1).flatMap((i) => [...i.variables]),
  ];
  writeWeights(variables, weights, `Stage ${stage.lo}-${stage.hi}`);
}
