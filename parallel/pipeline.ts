/**
 * The pipeline strategy: asynchronous decoupled training across Workers. The network is cut at its decoupling
 * interfaces (`decouples: true`, built-in or plugin) into modules, grouped into one stage per Worker by estimated
 * cost (`partition.ts`); activations flow forward and messages flow back between the stages (directly, over
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
import { WindowBatches } from "./_window_batches.ts";
import { stageVariables } from "./_stage_variables.ts";
import { planStages, type Stage } from "./partition.ts";
import type { FromStage, ToStage } from "./protocol.ts";
import type { PipelineProfile, Transport } from "./profile.ts";
import { readWeights, writeWeights } from "./_weights.ts";
import { type StagePool, WorkerPool } from "./_pool.ts";
import { checkWorkerPlugins } from "./_plugins.ts";
import { holdOneBlasThread } from "./_blas_threads.ts";
import { type Feeder, feeder as makeFeeder } from "./_feeder.ts";
import { stageProfiles } from "./_stage_clock.ts";
import { WorkerError, workerFailure } from "./worker_error.ts";
import { checkRunName } from "./_nats_names.ts";
import { collectedProblem, consumedRefusal, described, Drops, resultRefusal } from "./_validate_messages.ts";

export type { StageRecord };
export { WorkerError } from "./worker_error.ts";

/** Where a pipeline over NATS finds its stage processes (`pipeline({ transport: "nats", nats })`). */
export interface PipelineNatsOptions {
  /**
   * The NATS server: `nats://host:4222`, with credentials `nats://user:password@host:4222` or
   * `nats://token@host:4222`; `tls://host:4222` for TLS. Messages name it with the password hidden.
   */
  url: string;
  /** The run's name (letters, digits, `_`, `-`): only stage processes started with it (`--run NAME`) take part. */
  run: string;
  /** Start the stage processes on this machine (`deno run cli.ts stage`) and end them with the run. @default {false} */
  spawn?: boolean;
  /** How long to wait for enough stage processes to answer (seconds). @default {30, or 120 with spawn} */
  claimSeconds?: number;
  /**
   * A PEM file of the certificate authority (or the self-signed certificate) that the server's TLS certificate is
   * checked against, instead of the system's roots (which is all Deno's node:tls trusts: `DENO_CERT` and `--cert`
   * do not reach it). Stage processes started with `spawn` get it too; others take `--nats-ca FILE`.
   */
  ca?: string;
  /**
   * The run's secret, shared with its stage processes: 32 or more bytes, or their hex digits (`deno task run-key
   * FILE` makes a file of them; stage processes take `--run-key FILE` or `DNI_RUN_KEY`). Every message of the run is
   * sealed with keys derived from it: a client of the server without it can neither join the run nor read or change
   * it. Needed unless `spawn`, which makes one for the run when none is given.
   */
  key?: string | Uint8Array;
  /** A file holding the run's key (instead of `key`). */
  keyFile?: string;
  /** Encrypt every message with the run's key (AES-256-GCM); false authenticates them only. @default {true} */
  encrypt?: boolean;
}

/** Options of `pipeline`. */
export interface PipelineOptions {
  /** Number of Workers: at most this many stages. @default {2} */
  workers?: number;
  /** How many batches a stage may run ahead of the messages from the stage above. @default {1} */
  staleness?: number;
  /** Fail if no stage reports anything for this long (seconds). @default {120} */
  stallSeconds?: number;
  /**
   * How stages hand each other arrays: `"shared"` (ring slots in shared memory) or `"messages"` (each array copied
   * and transferred in its message, as before; kept to compare), or `"nats"` (each stage a process of its own, on
   * any host, reached over a NATS server: give `nats`). A sequence network's windows travel in messages: with it,
   * `"shared"` runs as `"messages"`. @default {"shared"}
   */
  transport?: Transport;
  /** With `transport: "nats"`: the server, the run's name, and whether to start the stage processes here. */
  nats?: PipelineNatsOptions;
  /** Called after each epoch with where each stage's time per batch went (see `PipelineProfile`). */
  onProfile?: (profile: PipelineProfile) => void;
  /** For tests: make the stage of this index throw from its third batch on. */
  failStage?: number;
}

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
  const { workers = 2, staleness = 1, stallSeconds = 120, transport = "shared" } = options;
  if (!Number.isInteger(workers) || workers < 2) {
    throw new RangeError(`workers must be an integer >= 2 for a pipeline, got ${workers}`);
  }
  if (!Number.isInteger(staleness) || staleness < 0) {
    throw new RangeError(`staleness must be an integer >= 0, got ${staleness}`);
  }
  if (!(stallSeconds > 0)) throw new RangeError(`stallSeconds must be > 0, got ${stallSeconds}`);
  if (transport !== "shared" && transport !== "messages" && transport !== "nats") {
    throw new RangeError(`transport must be "shared", "messages" or "nats", got ${JSON.stringify(transport)}`);
  }
  if (transport === "nats") {
    if (options.nats === undefined) throw new RangeError(`transport "nats" needs nats: { url, run }`);
    checkRunName(options.nats.run);
    const { key, keyFile, encrypt } = options.nats;
    if (key !== undefined && typeof key !== "string" && !(key instanceof Uint8Array)) {
      throw new RangeError(`nats.key must be the run key's bytes or hex digits, got ${typeof key}`);
    }
    if (keyFile !== undefined && (typeof keyFile !== "string" || keyFile === "")) {
      throw new RangeError(`nats.keyFile must be the path of a run key file, got ${JSON.stringify(keyFile)}`);
    }
    if (key !== undefined && keyFile !== undefined) throw new RangeError("give nats.key or nats.keyFile, not both");
    if (encrypt !== undefined && typeof encrypt !== "boolean") {
      throw new RangeError(`nats.encrypt must be true or false, got ${JSON.stringify(encrypt)}`);
    }
    const { ca } = options.nats;
    if (ca !== undefined && (typeof ca !== "string" || ca === "")) {
      throw new RangeError(`nats.ca must be the path of a PEM file, got ${JSON.stringify(ca)}`);
    }
  }
  return new Pipeline(workers, staleness, stallSeconds, { ...options, transport });
}

interface Running {
  network: Network;
  stages: Stage[];
  pool: StagePool<ToStage, FromStage>;
  feeder: Feeder;
  transport: Transport;
}

class Pipeline implements Strategy {
  readonly name: string;
  readonly #workers: number;
  readonly #staleness: number;
  readonly #stallSeconds: number;
  readonly #options: PipelineOptions & { transport: Transport };
  #running: Running | null = null;
  #release: () => void = () => {};

  constructor(
    workers: number,
    staleness: number,
    stallSeconds: number,
    options: PipelineOptions & { transport: Transport },
  ) {
    this.name = options.transport === "nats"
      ? `pipeline (${workers} stage processes over NATS, staleness ${staleness})`
      : `pipeline (${workers} workers, staleness ${staleness})`;
    this.#workers = workers;
    this.#staleness = staleness;
    this.#stallSeconds = stallSeconds;
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
    const stages = planStages(network, this.#workers);
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
    // Every stage starts from the network's current weights (it may have been trained or loaded before).
    const weights = readWeights(network.variables);
    const backend = tf.getBackend();
    const { failStage, nats } = this.#options;
    // A sequence network's windows carry more than the shared rings hold.
    const transport = network.kind === "sequence" && this.#options.transport === "shared"
      ? "messages"
      : this.#options.transport;
    const failure = (k: number, m: FromStage | string) => workerFailure(k, stages[k]!.lo, stages[k]!.hi, m);
    let pool: StagePool<ToStage, FromStage>;
    let ids: { url: string; sha256: string }[] | undefined;
    if (transport === "nats") {
      // The NATS client is loaded only for a run over NATS.
      const { NatsPool } = await import("./_nats_pool.ts");
      const { pluginIds } = await import("./_stage_plugins.ts");
      ids = await pluginIds(network.plugins);
      pool = await NatsPool.open<ToStage, FromStage>(nats!, stages.length, failure, {
        plugins: network.plugins,
        ffi: backend === "native",
      });
    } else {
      // One BLAS thread per Worker until stop(): the count is process-wide (see _blas_threads.ts).
      this.#release = holdOneBlasThread();
      pool = new WorkerPool<ToStage, FromStage>(new URL("./stage_worker.ts", import.meta.url), stages.length, failure);
    }
    const feeder = makeFeeder(transport, pool, network, stages, this.#staleness);
    this.#running = { network, stages, pool, feeder, transport };
    pool.watch(this.#stallSeconds);
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
          transport,
          weights,
          index: k,
          bells: feeder.bells,
          lo: st.lo,
          hi: st.hi,
          staleness: this.#staleness,
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
    const { network, stages, pool, feeder, transport } = this.#running;
    pool.watch(this.#stallSeconds);
    const windows = new WindowBatches(onBatch);
    const source = windows.steps(batches)[Symbol.iterator]();
    let step = network.steps;
    let fed = 0, done = 0, coordinatorMs = 0, drained = false;
    const posts = feeder.posts;
    const started = performance.now();
    let next = source.next();
    if (!next.done) feeder.begin(next.value);
    // What the stages say is checked before it counts: the rows of each step fed and not yet done, and the batches
    // fed and not yet consumed. What fails is dropped, and warned of once per kind of problem.
    const inFlight = new Map<number, number>();
    let unconsumed = 0;
    const drops = new Drops(console.warn);
    const last = stages.length - 1;
    const epochDone = new Promise<void>((resolve) => {
      const finish = () => next.done && done === fed && resolve();
      // Keep stage 0 supplied a little ahead of what it may consume.
      const feed = () => {
        const t = performance.now();
        do {
          while (!next.done && feeder.hasRoom()) {
            inFlight.set(step, next.value.size);
            feeder.feed(step++, next.value);
            fed++;
            unconsumed++;
            next = source.next();
          }
        } while (feeder.fed(!next.done));
        if (next.done && !drained) {
          drained = true;
          feeder.exhausted();
        }
        coordinatorMs += performance.now() - t;
        finish();
      };
      pool.on(0, (m) => {
        if (m.kind !== "consumed") return;
        const refusal = consumedRefusal(m.count, unconsumed);
        if (refusal !== undefined) return drops.drop("pipeline: stage 0", described(m.kind), refusal);
        unconsumed -= m.count;
        feeder.consumed(m.count);
        feed();
      });
      pool.on(last, (m) => {
        if (m.kind !== "done") return;
        if (!Array.isArray(m.results)) {
          const refusal = { reason: "results not a list", detail: "its results are not a list" };
          return drops.drop(`pipeline: stage ${last}`, described(m.kind), refusal);
        }
        const t = performance.now();
        try {
          for (const r of m.results) {
            const refusal = resultRefusal(r, inFlight);
            if (refusal !== undefined) {
              drops.drop(`pipeline: stage ${last}`, "a result of a done message", refusal);
              continue;
            }
            inFlight.delete(r.step);
            done++;
            windows.result(r);
          }
        } catch (error) {
          return pool.fail(error as Error);
        }
        coordinatorMs += performance.now() - t;
        finish();
      });
      feed();
    });
    await pool.race(epochDone);
    const epochMs = performance.now() - started;
    // Let the last messages arrive, then gather weights and numbers from every stage; a reply that does not fit its
    // stage's variables fails the run (waiting for another would hang).
    const variables = stages.map((st) => stageVariables(network, st.lo, st.hi));
    const collected = await pool.race(
      Promise.all(
        stages.map((st, k) =>
          pool.ask(
            k,
            { kind: "collect" },
            (r): r is Extract<FromStage, { kind: "collected" }> => r.kind === "collected",
          ).then((c) => {
            const problem = collectedProblem(c, variables[k]!.map((v) => v.size));
            if (problem === undefined) return c;
            const error = new WorkerError(k, st.lo, st.hi, `its "collected" reply is malformed: ${problem}`);
            pool.fail(error);
            throw error;
          })
        ),
      ),
    );
    pool.unwatch();
    const diagnostics: InterfaceDiagnostics[] = [];
    collected.forEach((c, k) => {
      assignStageWeights(variables[k]!, stages[k]!, c.weights);
      diagnostics.push(...c.diagnostics);
    });
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

// Copies a stage's gathered weights into its variables (`stageVariables`), once every array is checked to fit, so
// that a malformed reply changes none of them.
function assignStageWeights(variables: readonly tf.Variable[], stage: Stage, weights: Float32Array[]): void {
  const what = `Stage ${stage.lo}-${stage.hi}`;
  const bad = weights.findIndex((w, i) => !(w instanceof Float32Array) || w.length !== variables[i]?.size);
  if (weights.length !== variables.length || bad >= 0) {
    throw new Error(
      `${what} sent weights that do not fit its ${variables.length} variables ` +
        `(${weights.length} arrays${bad >= 0 ? `, array ${bad} of ${weights[bad]?.length} values` : ""})`,
    );
  }
  writeWeights(variables, weights, what);
}
