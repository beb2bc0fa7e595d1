// Private: where a pipeline stage's time goes, for `PipelineOptions.onProfile`. Measured always (a few
// performance.now() calls per batch), reported only when asked.
import type { StageProfile, StageTimes } from "../profile.ts";

/** The parts of a stage's time, in the order they are reported. */
export const STAGE_PARTS = ["compute", "tensors", "copies", "messaging", "transit", "waiting", "other"] as const;

/** One part of a stage's time (see `StageTimes`). */
export type StagePart = typeof STAGE_PARTS[number] & keyof StageTimes;

/** A time every thread of the process reads alike: ms since the epoch, with performance.now()'s resolution. */
export function stamp(): number {
  return performance.timeOrigin + performance.now();
}

/** Times with `f(part)` for each part. */
export function mapTimes(f: (part: StagePart) => number): StageTimes {
  const [compute, tensors, copies, messaging, transit, waiting, other] = STAGE_PARTS.map(f) as number[];
  return { compute, tensors, copies, messaging, transit, waiting, other } as StageTimes;
}

/** Milliseconds per part, all zero. */
export function zeroTimes(): StageTimes {
  return mapTimes(() => 0);
}

/**
 * A stage's stopwatch. `lap(part)` charges the time since the last mark to `part`; `sleep()` marks the start of an
 * idle spell and `wake(sentAt)` ends it, charging to `transit` the part after the message that ended it was posted
 * (`sentAt`, a `stamp()`) and the rest to `waiting`. `take()` hands the times over at the end of an epoch; the idle
 * spell after it (the coordinator evaluates) is not counted.
 */
export class StageClock {
  times: StageTimes = zeroTimes();
  batches = 0;
  posts = 0;
  /** Bytes sent (over NATS; 0 for Workers). */
  bytes = 0;
  #mark = performance.now();
  #idle = true;
  #between = true;

  /** Charges the time since the last mark to `part`. */
  lap(part: StagePart): void {
    const now = performance.now();
    this.times[part] += now - this.#mark;
    this.#mark = now;
  }

  /** A message was just posted: charges the time since the last mark to `messaging`, and counts it. */
  posted(): void {
    this.lap("messaging");
    this.posts++;
  }

  /** The stage has nothing it may do from now on. */
  sleep(): void {
    this.lap("other");
    this.#idle = true;
  }

  /** The stage got a message (posted at `sentAt`, when known) and may have work. */
  wake(sentAt?: number): void {
    if (!this.#idle) return;
    this.#idle = false;
    const now = performance.now();
    const idle = this.#between ? 0 : now - this.#mark;
    this.#between = false;
    const transit = sentAt === undefined ? 0 : Math.min(idle, Math.max(0, stamp() - sentAt));
    this.times.transit += transit;
    this.times.waiting += idle - transit;
    this.#mark = now;
  }

  /** The times so far, and starts again from zero. */
  take(): { times: StageTimes; batches: number; posts: number; bytes: number } {
    const taken = { times: this.times, batches: this.batches, posts: this.posts, bytes: this.bytes };
    this.times = zeroTimes();
    this.batches = 0;
    this.posts = 0;
    this.bytes = 0;
    this.#between = true;
    return taken;
  }
}

/** Per-batch milliseconds of each stage from what the stages sent at the end of an epoch. */
export function stageProfiles(
  stages: readonly { lo: number; hi: number }[],
  collected: readonly {
    times: StageTimes;
    batches: number;
    posts: number;
    tensors: number;
    memory: StageProfile["memory"];
  }[],
): StageProfile[] {
  return collected.map((c, k) => ({
    lo: stages[k]!.lo,
    hi: stages[k]!.hi,
    ms: mapTimes((p) => c.times[p] / Math.max(1, c.batches)),
    posts: c.posts / Math.max(1, c.batches),
    tensors: c.tensors,
    memory: c.memory,
  }));
}
