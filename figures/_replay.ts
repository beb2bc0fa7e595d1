/**
 * A pipeline's timeline replayed, spell by spell: which stage works on which batch when, under the stage loop's rule
 * (`../parallel/stage/_loop.ts`, modelled by `../parallel/simulate/simulate.ts`): a free stage first handles a
 * message from above that has come, else runs the next batch that has come if it has at most `staleness` batches
 * without their message (the top stage has no such bound). A forward sends the message down and the activations up
 * when its `forwardMs` ends, then spends `tailMs` posting (busy, the items already on their way). A stage woken by an
 * item starts on it `wakeMs` later. One core per stage.
 *
 * @module
 */

/** One stage's costs per batch (ms). */
export interface ReplayStage {
  /** Until what it sends is sent: tensors of its input, forward, backward, update, copies out. */
  forwardMs: number;
  /** After sending: posting and bookkeeping. */
  tailMs: number;
  /** Handling the message from the stage above (0 for the top stage). */
  messageMs: number;
}

/** One spell of work on the timeline. */
export interface Spell {
  stage: number;
  batch: number;
  kind: "forward" | "tail" | "message";
  start: number;
  end: number;
}

/** Replays `batches` batches through `stages`; returns every spell and the time the last batch's result came. */
export function replayPipeline(
  stages: readonly ReplayStage[],
  { batches, staleness, wakeMs = 0 }: { batches: number; staleness: number; wakeMs?: number },
): { spells: Spell[]; totalMs: number } {
  const n = stages.length;
  type Item = { t: number; b: number };
  const inputs: Item[][] = stages.map((_, k) =>
    k === 0 ? Array.from({ length: batches }, (_, b) => ({ t: 0, b })) : []
  );
  const messages: Item[][] = stages.map(() => []);
  const free = new Array<number>(n).fill(0), outstanding = new Array<number>(n).fill(0);
  const spells: Spell[] = [];
  let done = 0, totalMs = 0;
  const start = (k: number, arrival: number) => arrival > free[k]! ? arrival + wakeMs : free[k]!;
  while (done < batches) {
    let best: { k: number; t: number; message: boolean } | undefined;
    for (let k = 0; k < n; k++) {
      const m = messages[k]![0], f = inputs[k]![0];
      const tm = m === undefined ? Infinity : start(k, m.t);
      const tf = f !== undefined && (k === n - 1 || outstanding[k]! <= staleness) ? start(k, f.t) : Infinity;
      const c = { k, t: Math.min(tm, tf), message: tm <= tf };
      if (c.t < Infinity && (best === undefined || c.t < best.t)) best = c;
    }
    if (best === undefined) throw new Error("The replayed pipeline is stuck (a bug)");
    const { k, t, message } = best, s = stages[k]!;
    if (message) {
      const { b } = messages[k]!.shift()!;
      outstanding[k]!--;
      spells.push({ stage: k, batch: b, kind: "message", start: t, end: t + s.messageMs });
      free[k] = t + s.messageMs;
      continue;
    }
    const { b } = inputs[k]!.shift()!;
    const sent = t + s.forwardMs;
    spells.push({ stage: k, batch: b, kind: "forward", start: t, end: sent });
    if (s.tailMs > 0) spells.push({ stage: k, batch: b, kind: "tail", start: sent, end: sent + s.tailMs });
    free[k] = sent + s.tailMs;
    if (k > 0) messages[k - 1]!.push({ t: sent, b });
    if (k < n - 1) inputs[k + 1]!.push({ t: sent, b }), outstanding[k]!++;
    else done++, totalMs = sent;
  }
  return { spells, totalMs };
}
