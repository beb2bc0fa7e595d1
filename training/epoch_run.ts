/**
 * One epoch of `train()`, in pieces: its batches go through the strategy up to each checkpoint inside it
 * (`checkpointEvery`), where the strategy brings the whole training state into the network and `onCheckpoint` runs;
 * an aborted `signal` starts no further batch. A resumed epoch starts at the batch where the last run stopped, with
 * that run's sums (`network.epochProgress`).
 *
 * @module
 */
import { DivergenceError } from "../errors.ts";
import type { EpochOutcome, StageRecord, Strategy, TrainingBatch } from "../execution/strategy.ts";
import type { Network } from "../network/network.ts";
import type { EpochProgress } from "../network/epoch_progress.ts";
import { EpochMeter } from "./epoch_meter.ts";
import { PieceDiagnostics } from "./_piece_diagnostics.ts";
import type { Feed } from "./feed.ts";
import type { TrainCallbacks } from "./options.ts";

/** What one epoch is to run. */
export interface EpochPlan {
  epoch: number;
  /** The epoch's first batch (> 0: it goes on from `resumed`). */
  from: number;
  /** Batches to run from there. */
  count: number;
  /** The sums of the epoch's first `from` batches (a resumed epoch). */
  resumed?: EpochProgress;
}

/** How the epoch's pieces run. */
export interface EpochContext {
  network: Network;
  feed: Feed;
  strategy: Strategy;
  callbacks: TrainCallbacks;
  skipNonFinite: boolean;
  signal?: AbortSignal;
  /** A checkpoint every this many batches of the run (`checkpointEvery`). */
  every?: number;
  /** Batches run so far in this `train()` call (the phase of `every`); advanced here. */
  done: { batches: number };
}

/** An epoch run: whole (`stoppedAt` undefined), or stopped by the signal after `stoppedAt` of its batches. */
export interface EpochRun {
  meter: EpochMeter;
  outcome: EpochOutcome;
  stoppedAt?: number;
}

/**
 * Runs `plan`'s batches through the strategy, with checkpoints inside the epoch and the signal heeded.
 *
 * @throws {DivergenceError} As the strategy throws it, numbered with the epoch and batch.
 */
export async function runEpoch(plan: EpochPlan, context: EpochContext): Promise<EpochRun> {
  const { network, feed, strategy, callbacks, signal, every, done } = context;
  const { epoch, from, count, resumed } = plan;
  const meter = new EpochMeter(epoch, from + count, context.skipNonFinite, from > 0 ? resumed : undefined);
  const outcomes: EpochOutcome[] = [];
  const diagnostics = from > 0 && resumed !== undefined
    ? new PieceDiagnostics(resumed.diagnostics, from)
    : new PieceDiagnostics();
  let at = from;
  const end = from + count;
  while (at < end && !signal?.aborted) {
    const upto = every === undefined ? end : Math.min(end, at + every - (done.batches % every));
    const firstStep = network.steps, first = at;
    try {
      outcomes.push(
        await strategy.epoch(until(feed.batches(epoch, upto - at, at), signal), (b) => {
          const info = meter.add(b.loss, b.correct, b.size, b.counted);
          feed.afterBatch?.(b);
          callbacks.onBatchEnd?.(info);
        }),
      );
    } catch (error) {
      // The network and the Workers know the step; the loop knows the epoch and which batch that step was.
      if (!(error instanceof DivergenceError) || error.epoch !== undefined) throw error;
      const step = error.site.step;
      throw error.at(
        epoch,
        step === undefined || network.kind === "sequence" ? meter.batches + 1 : first + step - firstStep + 1,
      );
    }
    diagnostics.add(outcomes.at(-1)!.diagnostics, meter.batches - at);
    done.batches += meter.batches - at;
    at = meter.batches;
    if (at < end && at > from) {
      const why = signal?.aborted ? "interrupted" : "steps";
      pauseAt(network, feed, meter, diagnostics);
      if (why === "steps") await callbacks.onCheckpoint?.({ reason: why, epoch, batch: at });
    }
  }
  const outcome = { ...merge(outcomes), diagnostics: diagnostics.epoch() };
  if (at >= end) return { meter, outcome };
  if (at === from && resumed !== undefined) network.epochProgress = resumed; // stopped before its first new batch
  return { meter, outcome, stoppedAt: at };
}

// Where the network stands inside the epoch, for a checkpoint there.
function pauseAt(network: Network, feed: Feed, meter: EpochMeter, diagnostics: PieceDiagnostics): void {
  const sums = feed.pause?.(), means = diagnostics.sums();
  network.epochProgress = {
    batch: meter.batches,
    meter: meter.sums(),
    ...(sums ? { feed: sums } : {}),
    ...(Object.keys(means).length > 0 ? { diagnostics: means } : {}),
  };
}

// The batches, until the signal is aborted: none is taken (made) after that.
function* until(batches: Iterable<TrainingBatch>, signal: AbortSignal | undefined): Generator<TrainingBatch> {
  const it = batches[Symbol.iterator]();
  try {
    while (!signal?.aborted) {
      const next = it.next();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    it.return?.();
  }
}

// The outcomes of an epoch's pieces as one: the interfaces' numbers of the last piece (they count since the last
// gather), the skipped updates summed, each stage's times summed and its staleness the most.
function merge(outcomes: EpochOutcome[]): EpochOutcome {
  if (outcomes.length === 0) return { diagnostics: [], skippedUpdates: 0 };
  const last = outcomes[outcomes.length - 1]!;
  const stages = last.stages?.map((s, k): StageRecord => {
    const all = outcomes.map((o) => o.stages![k]!);
    const sum = (key: "busySeconds" | "waitSeconds" | "messagesSent" | "bytesSent") =>
      all.reduce((n, r) => n + (r[key] ?? 0), 0);
    return {
      ...s,
      busySeconds: sum("busySeconds"),
      waitSeconds: sum("waitSeconds"),
      maxStaleness: Math.max(...all.map((r) => r.maxStaleness)),
      ...(s.messagesSent === undefined ? {} : { messagesSent: sum("messagesSent"), bytesSent: sum("bytesSent") }),
    };
  });
  return {
    diagnostics: last.diagnostics,
    skippedUpdates: outcomes.reduce((n, o) => n + o.skippedUpdates, 0),
    ...(stages ? { stages } : {}),
  };
}
