/**
 * A deterministic discrete-event simulation of the pipeline (`pipeline.ts`, `stage_worker.ts`) on N hosts, one stage
 * per host, for clusters we do not have: from each stage's compute per batch, the bytes it sends, the links between
 * neighbouring hosts and the staleness, it predicts the time per epoch and how busy each stage is.
 *
 * @module
 */

/** One stage of a simulated pipeline: what it costs per batch (ms) and what it sends (bytes). */
export interface SimulatedStage {
  /** Milliseconds of work per batch: making tensors of its input, forward, update, copying out what it sends. */
  forwardMs: number;
  /** Milliseconds of work per message from the stage above (not for the last stage). @default {0} */
  messageMs?: number;
  /** Bytes sent to the stage above per batch: activations and labels (not for the last stage). @default {0} */
  forwardBytes?: number;
  /**
   * Bytes of the message sent to the stage below per batch (not for stage 0); 0 for an interface that needs no
   * message (`needsMessage`): an empty message still goes, for the flow control. @default {0}
   */
  messageBytes?: number;
}

/** Options of `simulatePipeline`. */
export interface SimulationOptions {
  /** The stages, bottom (the network's input) to top (the loss). */
  stages: readonly SimulatedStage[];
  /** Batches in the epoch. */
  batches: number;
  /** How many batches a stage may run ahead of the messages from the stage above. @default {1} */
  staleness?: number;
  /** One-way latency of each link between neighbouring stages (ms). @default {0} */
  latencyMs?: number;
  /** Bandwidth of each link, each way (bytes per second; full duplex). @default {Infinity} */
  bandwidth?: number;
  /** Work a stage spends on each item it sends (ms): posting, framing, a system call. @default {0} */
  overheadMs?: number;
  /**
   * Milliseconds a stage with nothing to do takes to start on an item that arrives: a sleeping thread or process
   * woken by it (`stage_worker.ts` sleeps when it has nothing it may do and is woken by a post). @default {0}
   */
  wakeMs?: number;
  /** Milliseconds the coordinator takes to make a batch and hand it to stage 0 (it runs on its own). @default {0} */
  feedMs?: number;
}

/** How one stage of a simulated pipeline spent the epoch. */
export interface SimulatedStageResult {
  /** Milliseconds of work: forwards, messages, and the overhead of what it sent. */
  busyMs: number;
  /** Milliseconds with nothing it may do: `totalMs - busyMs`. */
  waitingMs: number;
  /** `busyMs / totalMs`. */
  utilisation: number;
  /** Bytes it sent (up and down). */
  bytesSent: number;
  /** The most batches it had forwarded and not yet had the message for (at most `staleness + 1`). */
  maxOutstanding: number;
}

/** What a simulated pipeline epoch took. */
export interface SimulationResult {
  /** Milliseconds from the start to the last stage's result for the last batch. */
  totalMs: number;
  /** `totalMs / batches`. */
  msPerBatch: number;
  /** `totalMs / 1000`: the epoch's seconds. */
  secondsPerEpoch: number;
  /** Per stage, bottom to top. */
  stages: SimulatedStageResult[];
  /** Bytes sent over all links. */
  bytesSent: number;
}

const nonNegative = (name: string, value: number) => {
  if (!(value >= 0)) throw new RangeError(`${name} must be a number >= 0, got ${value}`);
};

/**
 * Simulates one epoch of a pipeline. Each stage mirrors `stage_worker.ts`: whenever it is free it first handles a
 * message from above that has arrived, else it runs the next batch that has arrived if it has at most `staleness`
 * batches without their message (the last stage has no such bound); a forward sends the message for the stage below
 * first, then the activations up. Each item is sent when the work that makes it ends, costs the sender
 * `overheadMs`, and crosses its link (serialised in each direction) in `bytes / bandwidth + latencyMs`; a stage
 * that was idle when an item came starts on it `wakeMs` later. The coordinator hands batch `b` to stage 0 at
 * `(b + 1) * feedMs`.
 *
 * @throws {RangeError} If there is no stage, or a time, size, count or staleness is negative or not a number.
 *
 * @example Two balanced stages overlap: a batch every 2 ms, not 4
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulatePipeline } from "./simulate.ts";
 *
 * const r = simulatePipeline({ stages: [{ forwardMs: 2 }, { forwardMs: 2 }], batches: 100, staleness: 1 });
 * assert.equal(r.totalMs, 202);
 * assert.ok(r.stages.every((s) => s.utilisation > 0.99));
 * ```
 */
export function simulatePipeline(options: SimulationOptions): SimulationResult {
  const {
    stages,
    batches,
    staleness = 1,
    latencyMs = 0,
    bandwidth = Infinity,
    overheadMs = 0,
    feedMs = 0,
    wakeMs = 0,
  } = options;
  if (stages.length === 0) throw new RangeError("A simulated pipeline needs at least one stage, got 0");
  if (!Number.isInteger(batches) || batches < 1) {
    throw new RangeError(`batches must be an integer >= 1, got ${batches}`);
  }
  if (!Number.isInteger(staleness) || staleness < 0) {
    throw new RangeError(`staleness must be an integer >= 0, got ${staleness}`);
  }
  if (!(bandwidth > 0)) throw new RangeError(`bandwidth must be > 0 bytes/s, got ${bandwidth}`);
  nonNegative("latencyMs", latencyMs);
  nonNegative("overheadMs", overheadMs);
  nonNegative("feedMs", feedMs);
  nonNegative("wakeMs", wakeMs);
  const n = stages.length;
  const cost = stages.map((s, k) => {
    const c = {
      forwardMs: s.forwardMs,
      messageMs: s.messageMs ?? 0,
      up: s.forwardBytes ?? 0,
      down: s.messageBytes ?? 0,
    };
    for (const [name, v] of Object.entries(c)) nonNegative(`Stage ${k}'s ${name}`, v);
    return c;
  });

  // Arrival times of the items each stage has yet to take, in order (links deliver in order).
  const inputs: number[][] = stages.map(() => []);
  const messages: number[][] = stages.map(() => []);
  for (let b = 0; b < batches; b++) inputs[0]!.push((b + 1) * feedMs);
  const linkUp = new Array<number>(n).fill(0), linkDown = new Array<number>(n).fill(0); // when each link is free
  const free = new Array<number>(n).fill(0), sent = new Array<number>(n).fill(0);
  const outstanding = new Array<number>(n).fill(0), most = new Array<number>(n).fill(0);
  let totalMs = 0;

  // Sends `bytes` from stage `k` at time `t` over `link` (free times, indexed by the lower stage `at`); returns the
  // arrival time.
  const send = (k: number, t: number, bytes: number, link: number[], at: number) => {
    sent[k]! += bytes;
    const start = Math.max(t + overheadMs, link[at]!);
    link[at] = start + (bytes * 1000) / bandwidth;
    return link[at]! + latencyMs;
  };
  // When stage k could start its next piece of work (Infinity: nothing it may do yet), and whether a message.
  const next = (k: number): { t: number; message: boolean } => {
    const m = messages[k]![0], f = inputs[k]![0];
    const mayForward = f !== undefined && (k === n - 1 || outstanding[k]! <= staleness);
    // An item that comes while the stage sleeps has to wake it first.
    const start = (arrival: number) => arrival > free[k]! ? arrival + wakeMs : free[k]!;
    const tm = m === undefined ? Infinity : start(m);
    const tf = mayForward ? start(f) : Infinity;
    return { t: Math.min(tm, tf), message: tm <= tf };
  };

  // Each stage's spells of work [start, end), clipped to the epoch at the end.
  const spells: number[][] = stages.map(() => []);
  for (let done = 0;;) {
    let k = -1, best = { t: Infinity, message: false };
    for (let s = 0; s < n; s++) {
      const c = next(s);
      if (c.t < best.t) [k, best] = [s, c];
    }
    if (done === batches && !(best.t < totalMs)) break; // the epoch is over: what is left happens after it
    if (k < 0) throw new Error("simulatePipeline: no stage can move (a bug in the simulator)");
    const c = cost[k]!;
    if (best.message) {
      messages[k]!.shift();
      outstanding[k]!--;
      free[k] = best.t + c.messageMs;
      spells[k]!.push(best.t, free[k]!);
      continue;
    }
    inputs[k]!.shift();
    let t = best.t + c.forwardMs;
    if (k > 0) {
      messages[k - 1]!.push(send(k, t, c.down, linkDown, k - 1));
      t += overheadMs;
    }
    if (k < n - 1) {
      inputs[k + 1]!.push(send(k, t, c.up, linkUp, k));
      t += overheadMs;
      most[k] = Math.max(most[k]!, ++outstanding[k]!);
    } else {
      done++;
      totalMs = t;
    }
    spells[k]!.push(best.t, t);
    free[k] = t;
  }
  const busy = spells.map((s) => {
    let ms = 0;
    for (let i = 0; i < s.length; i += 2) ms += Math.max(0, Math.min(s[i + 1]!, totalMs) - s[i]!);
    return ms;
  });
  const result = stages.map((_, k) => ({
    busyMs: busy[k]!,
    waitingMs: Math.max(0, totalMs - busy[k]!),
    utilisation: totalMs > 0 ? busy[k]! / totalMs : 1,
    bytesSent: sent[k]!,
    maxOutstanding: most[k]!,
  }));
  return {
    totalMs,
    msPerBatch: totalMs / batches,
    secondsPerEpoch: totalMs / 1000,
    stages: result,
    bytesSent: sent.reduce((a, b) => a + b, 0),
  };
}
