/**
 * The pipeline strategy: asynchronous decoupled training across Workers. The network is cut at its decoupling
 * interfaces (`decouples: true`, built-in or plugin) into modules, grouped into one stage per Worker by estimated
 * cost (`partition.ts`, the split); activations flow forward and messages flow back between the stages (directly, over
 * MessageChannel ports, the arrays in shared memory; the coordinator feeds stage 0), and each stage updates with its
 * synthetic gradient without waiting for the stages above, at most `staleness` batches ahead of their messages.
 * After each epoch the stages' weights are gathered into the network, which `train()` then evaluates as a whole.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Network } from "../network/network.ts";
import type { InterfaceDiagnostics } from "../network/interface_diagnostics.ts";
import type {
  BatchOutcome,
  EpochOutcome,
  StageRecord,
  Strategy,
  StrategyRun,
  TrainingBatch,
} from "../execution/strategy.ts";
import { planStages, type Stage } from "./partition.ts";
import { type CheckedOptions, checkPipelineOptions, type PipelineOptions } from "./pipeline_options.ts";
import type { FromStage, ToStage } from "./protocol.ts";
import type { Transport } from "./profile.ts";
import { readWeights } from "./_weights.ts";
import { trainingStateOf } from "./_training_state.ts";
import { checkWorkerPlugins } from "./_plugins.ts";
import { stageProfiles } from "./stage/_clock.ts";
import type { StagePool } from "./transport/_pool.ts";
import type { Feeder } from "./transport/_transport.ts";
import { TRANSPORTS } from "./transport/_transports.ts";
import { runEpoch } from "./schedule/_epoch.ts";
import { gather } from "./schedule/_gather.ts";
import { WorkerError, workerFailure } from "./worker_error.ts";

export type { StageRecord };
export type { PipelineNatsOptions, PipelineOptions } from "./pipeline_options.ts";
export { WorkerError } from "./worker_error.ts";

/**
 * Trains in a pipeline of Workers, cut at every decoupling interface of the network.
 *
 * @throws {RangeError} If an option is out of range (at once); at `start`, if the network has no decoupling
 *   interface to cut at, or has a forward-unlocked layer (that runs on one thread for now).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetwork, pipeline, syntheticDataset, train } from "../mod.ts";
 *
 * const data = syntheticDataset({ features: 8, classes: 3, trainCount: 96, testCount: 32 });
 * const net = buildNetwork({
 *   input: [8],
 *   layers: [{ type: "dense", units: 8, activation: "relu", interface: "csg" }, { type: "dense", units: 3 }],
 * });
 * const history = await train(net, data, { batchSize: 32, strategy: pipeline({ workers: 2, staleness: 0 }) });
 * assert.deepEqual(history.epochs[0]!.stages!.map((s) => [s.lo, s.hi]), [[0, 0], [1, 1]]);
 * net.dispose();
 * ```
 */
export function pipeline(options: PipelineOptions = {}): Strategy {
  return new Pipeline(checkPipelineOptions(options));
}

interface Running {
  network: Network;
  stages: Stage[];
  pool: StagePool<ToStage, FromStage>;
  feeder: Feeder;
  transport: Transport;
  /** Whether the stages were given the training state (and give back theirs at each gather). */
  stateful: boolean;
}

class Pipeline implements Strategy {
  readonly name: string;
  readonly #options: CheckedOptions;
  #running: Running | null = null;
  #release: () => void = () => {};

  constructor(options: CheckedOptions) {
    const { workers, staleness } = options;
    this.name = options.transport === "nats"
      ? `pipeline (${workers} stage processes over NATS, staleness ${staleness})`
      : `pipeline (${workers} workers, staleness ${staleness})`;
    this.#options = options;
  }

  async start(network: Network, run: StrategyRun): Promise<void> {
    if (this.#running !== null) throw new Error(`Strategy "${this.name}" is already running`);
    const unlocked = network.forwardUnlocked;
    if (unlocked !== undefined) {
      throw new RangeError(
        `Cannot run this network in a pipeline: layer ${unlocked} is forward-unlocked (forwardUnlock), which runs ` +
          `on one thread for now; train it without workers`,
      );
    }
    const stages = planStages(network, this.#options.workers);
    if (stages.length < 2) {
      const types = [...new Set(network.interfaces.map((i) => i.type))].join(", ") || "none";
      throw new RangeError(
        `Cannot run this network in a pipeline: none of its interfaces decouples (interfaces: ${types}), so there ` +
          `is nowhere to cut it; bind a decoupling interface (sg, csg or a plugin's) to a hidden layer, or train ` +
          `with dataParallel()`,
      );
    }
    await checkWorkerPlugins(network);
    const spec = network.getSpec();
    // Every stage starts where the network stands (it may have been trained or loaded before): its weights and its
    // training state (optimizers, interfaces' own state, carried states).
    const weights = readWeights(network.variables);
    const state = trainingStateOf(network);
    if (typeof state === "string") console.warn(`pipeline: the stages start with fresh optimizers: ${state}`);
    const backend = tf.getBackend();
    const { failStage, nats } = this.#options;
    // The transport: one object that makes both sides (a sequence network's windows carry more than the shared
    // rings hold: they go over messages).
    const chosen = TRANSPORTS[this.#options.transport];
    const transport = network.kind === "sequence" && !chosen.carriesWindows ? TRANSPORTS.messages : chosen;
    const failure = (k: number, m: FromStage | string) => workerFailure(k, stages[k]!.lo, stages[k]!.hi, m);
    const opened = await transport.open({ network, count: stages.length, failure, backend, nats });
    const { pool, pluginIds: ids } = opened;
    this.#release = opened.release;
    const feeder = transport.feeder(pool, network, stages, this.#options.staleness);
    this.#running = { network, stages, pool, feeder, transport: transport.name, stateful: typeof state !== "string" };
    pool.watch(this.#options.stallSeconds);
    // A direct channel between each pair of neighbours.
    const channels = stages.slice(1).map(() => new MessageChannel());
    await pool.race(Promise.all(stages.map((st, k) => {
      const down = k > 0 ? channels[k - 1]!.port2 : undefined;
      const up = k < stages.length - 1 ? channels[k]!.port1 : undefined;
      return pool.ask(
        k,
        {
          kind: "init",
          spec,
          plugins: [...network.plugins],
          ...(ids === undefined ? {} : { pluginIds: ids }),
          seed: spec.seed ?? 0,
          backend,
          transport: transport.name,
          weights,
          ...(typeof state === "string" ? {} : { state }),
          index: k,
          bells: feeder.bells,
          lo: st.lo,
          hi: st.hi,
          staleness: this.#options.staleness,
          messageBelow: st.messageBelow === true,
          fail: k === failStage ? "injected failure" : undefined,
          onNonFinite: run.onNonFinite,
          down,
          up,
        },
        (r): r is Extract<FromStage, { kind: "ready" }> => r.kind === "ready",
        [down, up].filter((p) => p !== undefined) as never,
      ).then((ready) => {
        if (ready.backend !== backend) {
          throw new WorkerError(k, st.lo, st.hi, `it runs on backend "${ready.backend}", not on "${backend}"`);
        }
      });
    })));
    pool.unwatch(); // between epochs the coordinator evaluates: no Worker has anything to say
  }

  async epoch(batches: Iterable<TrainingBatch>, onBatch: (outcome: BatchOutcome) => void): Promise<EpochOutcome> {
    if (this.#running === null) throw new Error(`Strategy "${this.name}" was not started`);
    const { network, stages, pool, feeder, transport, stateful } = this.#running;
    pool.watch(this.#options.stallSeconds);
    const posts = feeder.posts;
    const { step, fed, epochMs, coordinatorMs, drops } = await runEpoch(
      network,
      pool,
      feeder,
      stages.length - 1,
      batches,
      onBatch,
    );
    // Let the last messages arrive, then gather weights and numbers from every stage.
    const collected = await gather(network, stages, pool, stateful);
    pool.unwatch();
    const diagnostics: InterfaceDiagnostics[] = collected.flatMap((c) => c.diagnostics);
    const dropped = collected.flatMap((c, k) => c.dropped > 0 ? [`stage ${k}: ${c.dropped}`] : []);
    if (drops.count > 0) dropped.unshift(`coordinator: ${drops.count}`);
    if (dropped.length > 0) console.warn(`pipeline: messages dropped this epoch (${dropped.join(", ")})`);
    network.steps = step;
    this.#options.onProfile?.({
      transport,
      batches: fed,
      msPerBatch: epochMs / Math.max(1, fed),
      coordinatorMs: coordinatorMs / Math.max(1, fed),
      coordinatorPosts: (feeder.posts - posts) / Math.max(1, fed),
      stages: stageProfiles(stages, collected),
    });
    return {
      diagnostics,
      skippedUpdates: collected.reduce((n, c) => n + c.skippedUpdates, 0),
      stages: collected.map((c, k) => ({
        ...stages[k]!,
        busySeconds: c.busySeconds,
        waitSeconds: c.waitSeconds,
        maxStaleness: Math.max(0, c.maxOutstanding - 1),
        ...(transport === "nats" ? { messagesSent: c.posts, bytesSent: c.bytes } : {}),
      })),
    };
  }

  async stop(): Promise<void> {
    const pool = this.#running?.pool;
    this.#running = null;
    this.#release();
    this.#release = () => {};
    await pool?.terminate();
  }
}
