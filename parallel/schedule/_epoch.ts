// Private: a pipeline epoch's schedule, the coordinator's side: the epoch's batches become steps (a batch of
// examples one step, a batch of sequences one per truncation window: `_window_batches.ts`) numbered from the
// network's step count, fed to stage 0 a little ahead of what it may consume (the feeder says when it has room), and
// the last stage's results taken in step order back into each batch's outcome. The stages keep the rest of the
// order: each runs at most `staleness` steps ahead of the messages from above. What the stages say is checked before
// it counts (`_validate.ts`): what fails is dropped and warned of once per kind of problem.
import type { Network } from "../../network/network.ts";
import type { BatchOutcome, TrainingBatch } from "../../execution/strategy.ts";
import type { FromStage, ToStage } from "../protocol.ts";
import { described, Drops } from "../_refusals.ts";
import type { StagePool } from "../transport/_pool.ts";
import type { Feeder } from "../transport/_transport.ts";
import { consumedRefusal, resultRefusal } from "./_validate.ts";
import { WindowBatches } from "./_window_batches.ts";

/** What an epoch's schedule did. */
export interface Scheduled {
  /** The next step (the network's step count after the epoch). */
  step: number;
  /** Steps fed. */
  fed: number;
  /** Wall-clock milliseconds from the first step fed to the last result. */
  epochMs: number;
  /** Milliseconds the coordinator spent making and feeding steps and taking results. */
  coordinatorMs: number;
  /** What the coordinator dropped (more may come while the stages are collected). */
  drops: Drops;
}

/**
 * Runs one epoch of `batches` through the stages of `pool` (the last one of index `last`), fed by `feeder`; calls
 * `onBatch` with each batch's outcome, in order. Resolves once every step fed has its result.
 */
export async function runEpoch(
  network: Network,
  pool: StagePool<ToStage, FromStage>,
  feeder: Feeder,
  last: number,
  batches: Iterable<TrainingBatch>,
  onBatch: (outcome: BatchOutcome) => void,
): Promise<Scheduled> {
  const windows = new WindowBatches(onBatch);
  const source = windows.steps(batches)[Symbol.iterator]();
  let step = network.steps;
  let fed = 0, done = 0, coordinatorMs = 0, drained = false;
  const started = performance.now();
  let next = source.next();
  if (!next.done) feeder.begin(next.value);
  // What the stages say is checked before it counts: the rows of each step fed and not yet done, and the batches
  // fed and not yet consumed. What fails is dropped, and warned of once per kind of problem.
  const inFlight = new Map<number, number>();
  let unconsumed = 0;
  const drops = new Drops(console.warn);
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
  return { step, fed, epochMs: performance.now() - started, coordinatorMs, drops };
}
