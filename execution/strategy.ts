/**
 * The strategy contract: *how* a training run executes its steps (on this thread, in a pipeline of Workers,
 * data-parallel across replicas), passed to `train()`, which owns the one epoch loop (metering, callbacks,
 * evaluation, diagnostics, history, errors) and never branches on the mode.
 *
 * A strategy is started once per `train()` call, runs one epoch at a time over the batches the loop hands it,
 * reports each batch's loss in order through `onBatch`, and, before an epoch's promise resolves, brings the trained
 * weights (and the step count) back into the network, so that the loop can evaluate it on this thread. What the
 * loop cannot see (interfaces' numbers measured in Workers, stages, skipped updates) comes back in the
 * `EpochOutcome`.
 *
 * @example A strategy that wraps another and counts the batches it ran
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetwork, oneThread, type Strategy, syntheticDataset, train } from "../mod.ts";
 *
 * function counted(inner: Strategy, seen: number[]): Strategy {
 *   return {
 *     name: `counted ${inner.name}`,
 *     start: (network, run) => inner.start(network, run),
 *     epoch: async (batches, onBatch) => {
 *       let n = 0;
 *       const outcome = await inner.epoch(batches, (b) => (n++, onBatch(b)));
 *       seen.push(n);
 *       return outcome;
 *     },
 *     stop: () => inner.stop(),
 *   };
 * }
 *
 * const data = syntheticDataset({ features: 4, classes: 2, trainCount: 64, testCount: 16 });
 * const net = buildNetwork({ input: [4], layers: [{ type: "dense", units: 2 }] });
 * const seen: number[] = [];
 * const history = await train(net, data, { epochs: 2, batchSize: 16, strategy: counted(oneThread(), seen) });
 * assert.deepEqual(seen, [4, 4]);
 * assert.equal(history.epochs.length, 2);
 * net.dispose();
 * ```
 *
 * @module
 */
import type { Batch } from "../datasets/dataset.ts";
import type { SequenceItem } from "../recurrent/sequence_feed.ts";
import type { InterfaceDiagnostics } from "../network/interface_diagnostics.ts";
import type { Network } from "../network/network.ts";
import type { NonFinitePolicy } from "../network/non_finite_guard.ts";

/** What `train()` tells a strategy when it starts it. */
export interface StrategyRun {
  /** What a NaN or infinite loss, gradient or synthetic gradient does (the network's own is set to it too). */
  readonly onNonFinite: NonFinitePolicy;
}

/**
 * One batch of training: examples (`Batch`, for a feed-forward network) or sequences with their truncation window
 * (`SequenceItem`, for a sequence network).
 */
export type TrainingBatch = Batch | SequenceItem;

/** Whether a training batch holds sequences. */
export function isSequenceItem(batch: TrainingBatch): batch is SequenceItem {
  return "sequences" in batch;
}

/** One batch's result, reported through `onBatch` in batch order. */
export interface BatchOutcome {
  /** The batch-mean loss (per example; per sequence for sequences), before the update. */
  loss: number;
  /** Examples classified right (sequences: counted steps predicted right), before the update. */
  correct: number;
  /** Examples (sequences) in the batch. */
  size: number;
  /** Sequences: the steps whose target counts (what `correct` is out of). Left out: `size`. */
  counted?: number;
  /** Sequences: the counted steps' cross-entropy in bits, summed. */
  bits?: number;
}

/**
 * One interface's own numbers over an epoch: now the one `InterfaceDiagnostics` record, `{ layer, type, ...numbers }`
 * (formerly `{ layer, values }`).
 *
 * @deprecated Use `InterfaceDiagnostics`.
 */
export type InterfaceNumbers = InterfaceDiagnostics;

/** What a pipeline measured per stage in an epoch. */
export interface StageRecord {
  /** The stage's first layer. */
  lo: number;
  /** The stage's last layer (inclusive). */
  hi: number;
  /** Estimated multiply-adds per example of the stage (see `parallel/partition.ts`). */
  cost: number;
  /** Whether the stage below takes the last product of this stage's message. */
  messageBelow?: boolean;
  /** Seconds the stage computed. */
  busySeconds: number;
  /** Seconds the stage had nothing it was allowed to do (no input, or too far ahead of its messages). */
  waitSeconds: number;
  /** The most batches the stage ran ahead of the messages from above (bounded by `staleness`). */
  maxStaleness: number;
  /** Over NATS: messages the stage published (to its neighbours and the coordinator). */
  messagesSent?: number;
  /** Over NATS: bytes the stage published. */
  bytesSent?: number;
}

/** What an epoch gives back besides the batches' results. */
export interface EpochOutcome {
  /**
   * The own numbers of every interface that has them (`hasDiagnostics`), measured since the last epoch where the
   * interface ran, e.g. `{ layer: 0, type: "sg", synthesizerLoss: 0.2 }` (`interfaceDiagnostics()` gathers them).
   */
  diagnostics: InterfaceDiagnostics[];
  /** Layer updates left out because of a NaN or an infinity (`onNonFinite: "skip"`). */
  skippedUpdates: number;
  /** Per stage, for a strategy that runs stages. */
  stages?: StageRecord[];
}

/**
 * How a training run executes. `train()` calls `start` once, `epoch` once per epoch, and `stop` at the end, also
 * after an error. A strategy object may be used for one run at a time.
 */
export interface Strategy {
  /** A short name for logs, e.g. `pipeline (2 workers, staleness 1)`. */
  readonly name: string;
  /**
   * Prepares to train `network` (e.g. starts Workers from its spec, plugins and current weights).
   *
   * @throws If the network cannot run this way; the message says why and what to do.
   */
  start(network: Network, run: StrategyRun): Promise<void>;
  /**
   * Trains one pass over `batches`: calls `onBatch` for each batch, in order (if it throws, the epoch rejects with
   * that error), and resolves once the network holds the trained weights and `network.steps` counts every batch.
   *
   * @throws {DivergenceError} Without `epoch`/`batch` but with `site.step` (the network step): `train()` places it.
   */
  epoch(batches: Iterable<TrainingBatch>, onBatch: (outcome: BatchOutcome) => void): Promise<EpochOutcome>;
  /** Frees what `start` took (Workers). Never throws; safe to call when `start` failed or never ran. */
  stop(): Promise<void>;
}
