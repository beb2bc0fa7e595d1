/**
 * A training step as the playground records it: one span per call the library made into a layer, an interface,
 * the loss or an optimizer, with its start and end times; and what the spans say about locking.
 *
 * @module
 */

/** What a span is: a layer's forward or backward, an interface's synthetic gradient or message, the loss, an update. */
export type SpanKind = "forward" | "synthetic" | "loss" | "backward" | "message" | "update";

/** One call, timed with `performance.now()`. */
export interface Span {
  /** What ran. */
  kind: SpanKind;
  /** The layer (for `synthetic` and `message`: the layer whose interface it is). */
  layer: number;
  /** When it started, ms. */
  start: number;
  /** When it ended, ms. */
  end: number;
}

/** A recorded training step. */
export interface StepRecord {
  /** The step's number, from 1. */
  step: number;
  /** When the step started, ms. */
  start: number;
  /** When it ended, ms. */
  end: number;
  /** The calls, in the order they ended. */
  spans: Span[];
}

/** The colour of each kind of span on the timeline. */
export const spanColors: Record<SpanKind, string> = {
  forward: "#5dade2",
  synthetic: "#af7ac5",
  loss: "#e74c3c",
  backward: "#f5b041",
  message: "#99a3a4",
  update: "#27ae60",
};

/** When each layer's update started (ms after the step started), `undefined` for a layer that did not update. */
export function updateTimes(record: StepRecord, layers: number): (number | undefined)[] {
  return Array.from({ length: layers }, (_, j) => {
    const span = record.spans.find((s) => s.kind === "update" && s.layer === j);
    return span === undefined ? undefined : span.start - record.start;
  });
}

/**
 * The layers that updated before the loss was computed: unlocked, they did not wait for the forward pass to reach
 * the top and the backward pass to come back down.
 */
export function unlockedLayers(record: StepRecord): number[] {
  const loss = record.spans.find((s) => s.kind === "loss");
  if (loss === undefined) return [];
  return [...new Set(record.spans.filter((s) => s.kind === "update" && s.end <= loss.start).map((s) => s.layer))];
}

/** One line on a step: when each layer updated, in % of the step, and whether it waited for the loss. */
export function stepLine(record: StepRecord, interfaces: readonly string[], unlocked: readonly number[]): string {
  const duration = Math.max(record.end - record.start, 1e-6);
  const times = updateTimes(record, interfaces.length + 1);
  const parts = times.map((t, j) => {
    const name = j < interfaces.length ? `layer ${j} (${interfaces[j]})` : `layer ${j} (output)`;
    if (t === undefined) return `${name}: no update`;
    const when = `${Math.round((100 * t) / duration)}%`;
    if (j === interfaces.length) return `${name} updates at ${when}`;
    return `${name} updates at ${when}, ${
      unlocked.includes(j) ? "before the loss: unlocked" : "after the loss: locked"
    }`;
  });
  return `step ${record.step} (${duration.toFixed(1)} ms): ${parts.join("; ")}`;
}
