/**
 * A deterministic discrete-event simulation of the pipeline (`../pipeline.ts`, `../stage/_loop.ts`) on N hosts, one stage
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
   * woken by it (a stage, `../stage/_loop.ts`, sleeps when it has nothing it may do and is woken by a post). @default {0}
   */
  wakeMs?: number;
  /** Milliseconds the coordinator takes to make a batch and hand it to stage 0. @default {0} */
  feedMs?: number;
  /**
   * Cores the stages share (one host's, when they run on one machine): while more stages are busy than there are
   * cores (less what `backgroundMs` takes), each runs at `cores / busy` of its speed, as an operating system shares
   * them out by time slices (processor sharing). The default gives every stage a core of its own (a host each).
   * @default {Infinity}
   */
  cores?: number;
  /**
   * Milliseconds of CPU per batch spent on the same cores by threads that are not stages: the coordinator making
   * batches and taking results, a message server. Spread evenly over the epoch, it takes `backgroundMs · batches /
   * epoch` of the cores (the epoch found at the fixed point), and the stages share the rest. Only with finite `cores`.
   * @default {0}
   */
  backgroundMs?: number;
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
 * Simulates one epoch of a pipeline. Each stage mirrors `../stage/_loop.ts`: whenever it is free it first handles a
 * message from above that has arrived, else it runs the next batch that has arrived if it has at most `staleness`
 * batches without their message (the last stage has no such bound); a forward sends the message for the stage below
 * first, then the activations up. Each item is sent when the work that makes it ends, costs the sender
 * `overheadMs`, and crosses its link (serialised in each direction) in `bytes / bandwidth + latencyMs`; a stage
 * that was idle when an item came starts on it `wakeMs` later. The coordinator hands batch `b` to stage 0 at
 * `(b + 1) * feedMs`. With `cores`, busy stages (and `backgroundMs` of other work per batch) share the cores.
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
 * // On one core the two share it: 4 ms a batch.
 * const shared = simulatePipeline({ stages: [{ forwardMs: 2 }, { forwardMs: 2 }], batches: 100, cores: 1 });
 * assert.ok(Math.abs(shared.msPerBatch - 4) < 0.05);
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
    cores = Infinity,
    backgroundMs = 0,
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
  nonNegative("backgroundMs", backgroundMs);
  if (!(cores > 0)) throw new RangeError(`cores must be a number > 0, got ${cores}`);
  const o = { stages, batches, staleness, latencyMs, bandwidth, overheadMs, feedMs, wakeMs, cores };
  if (!Number.isFinite(cores) || backgroundMs === 0) return simulateOnce(o, 0);
  // The background takes `used` of the cores, `backgroundMs · batches / epoch`, and the epoch's length depends on it:
  // bisect for the fixed point (the excess `used - demand(used)` grows with `used`; below `cores`, always).
  const demand = (r: SimulationResult) => (backgroundMs * batches) / Math.max(r.totalMs, 1e-12);
  let lo = 0, hi = cores, r = simulateOnce(o, 0);
  for (let i = 0; i < 60 && hi - lo > 1e-9 * cores; i++) {
    const used = (lo + hi) / 2, at = simulateOnce(o, used);
    if (used < demand(at)) lo = used;
    else hi = used;
    r = at;
  }
  return r;
}

// One simulation (the options' defaults filled in), `used` of the cores taken by background work the whole epoch.
function simulateOnce(
  o: Required<Omit<SimulationOptions, "backgroundMs">>,
  used: number,
): SimulationResult {
  const { stages, batches, staleness, latencyMs, bandwidth, overheadMs, feedMs, wakeMs, cores } = o;
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
  // The piece of work each stage is on: what is left of its current phase (ms of a core to itself), and what follows.
  // A forward's phases: the compute, then (after it) the overhead of each item it sends, the item going when the
  // phase before it ends; `send` adds the item's overhead to its departure itself, so at full speed the times are
  // exactly those of a stage that sends at the end of its compute and pays `overheadMs` per item after it.
  type Phase = { ms: number; then: (t: number) => void };
  const work: ({ phases: Phase[]; start: number } | null)[] = stages.map(() => null);
  let done = 0, now = 0;
  const begin = (k: number, t: number, message: boolean) => {
    const c = cost[k]!;
    if (message) {
      messages[k]!.shift();
      outstanding[k]!--;
      return void (work[k] = { start: t, phases: [{ ms: c.messageMs, then: () => {} }] });
    }
    inputs[k]!.shift();
    const phases: Phase[] = [];
    let compute = c.forwardMs;
    if (k > 0) {
      phases.push({ ms: compute, then: (at) => messages[k - 1]!.push(send(k, at, c.down, linkDown, k - 1)) });
      compute = overheadMs;
    }
    if (k < n - 1) {
      phases.push({
        ms: compute,
        then: (at) => {
          inputs[k + 1]!.push(send(k, at, c.up, linkUp, k));
          most[k] = Math.max(most[k]!, ++outstanding[k]!);
        },
      });
      compute = overheadMs;
    }
    phases.push({
      ms: compute,
      then: (at) => {
        if (k === n - 1) done++, totalMs = at;
      },
    });
    work[k] = { start: t, phases };
  };
  for (;;) {
    // Start what each idle stage may start now (lower stages first on a tie, as they were placed).
    for (let k = 0; k < n; k++) {
      if (work[k] !== null) continue;
      const c = next(k);
      if (c.t <= now) begin(k, now, c.message);
    }
    const busyCount = work.reduce((m, w) => m + (w === null ? 0 : 1), 0);
    if (done === batches || (busyCount === 0 && stages.every((_, k) => next(k).t === Infinity))) break;
    const speed = busyCount === 0 ? 1 : Math.min(1, (cores - used) / busyCount);
    // The next event: a phase ending, or an idle stage able to start.
    let dt = Infinity;
    work.forEach((w, k) => {
      dt = Math.min(dt, w === null ? next(k).t - now : w.phases[0]!.ms / speed);
    });
    if (!(dt < Infinity)) throw new Error("simulatePipeline: no stage can move (a bug in the simulator)");
    now += dt;
    work.forEach((w, k) => {
      if (w === null) return;
      const phase = w.phases[0]!;
      phase.ms = Math.max(0, phase.ms - dt * speed);
      // Ended phases (a zero phase ends at once).
      while (w.phases.length > 0 && w.phases[0]!.ms <= 1e-12 * Math.max(1, now)) w.phases.shift()!.then(now);
      if (w.phases.length === 0) {
        spells[k]!.push(w.start, now);
        free[k] = now;
        work[k] = null;
      }
    });
  }
  for (const [k, w] of work.entries()) if (w !== null) spells[k]!.push(w.start, now); // cut by the epoch's end
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
