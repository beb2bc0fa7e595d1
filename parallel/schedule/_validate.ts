// Private: what the coordinator hears from a pipeline's stages is checked before it counts (the stages' side:
// `../stage/_validate.ts`): "consumed" counts, results of steps in flight, and the "collected" reply of each stage.
// What fails is dropped and counted (`Drops`), or, for a "collected" reply, fails the run.
import type { FromStage } from "../protocol.ts";
import { brief, isCount, isRecord, type Refusal, refuse } from "../_refusals.ts";
import { STAGE_PARTS } from "../stage/_clock.ts";

/** A refusal unless `count` is a whole number of batches, at most the `unconsumed` ones fed and not yet consumed. */
export function consumedRefusal(count: unknown, unconsumed: number): Refusal | undefined {
  if (!isCount(count) || count > unconsumed) {
    return refuse("bad count", `count ${brief(count)} is not an integer from 0 to ${unconsumed} (fed, not consumed)`);
  }
  return undefined;
}

/**
 * A refusal unless `r` is the result of a step in flight (`inFlight`: its rows by step, for the steps fed this epoch
 * and not yet done): its rows, `correct` from 0 to them, and `loss` a number (NaN and infinities included: the
 * divergence policy sees to them).
 */
export function resultRefusal(r: unknown, inFlight: ReadonlyMap<number, number>): Refusal | undefined {
  if (!isRecord(r)) return refuse("result not an object", `result ${brief(r)} is not an object`);
  const { step, loss, correct } = r;
  const rows = inFlight.get(step as number);
  if (rows === undefined) return refuse("step not in flight", `step ${brief(step)} was not fed or is done already`);
  if (r.rows !== rows) return refuse("rows differ", `step ${step}: rows ${brief(r.rows)}, not the ${rows} fed`);
  if (!isCount(correct) || correct > rows) {
    return refuse("bad correct count", `step ${step}: correct ${brief(correct)} is not an integer from 0 to ${rows}`);
  }
  if (typeof loss !== "number") return refuse("bad loss", `step ${step}: loss ${brief(loss)} is not a number`);
  return undefined;
}

const COUNTS = [
  "busySeconds",
  "waitSeconds",
  "maxOutstanding",
  "skippedUpdates",
  "batches",
  "posts",
  "bytes",
  "tensors",
  "dropped",
] as const;
const MEMORY = ["heapUsed", "heapTotal", "external", "wasmHeap"] as const;

/** What is wrong with a stage's "collected" for variables of `sizes` values each, or undefined. */
export function collectedProblem(
  c: Extract<FromStage, { kind: "collected" }>,
  sizes: readonly number[],
): string | undefined {
  const fields = c as unknown as Record<string, unknown>;
  const { weights, diagnostics, times, memory } = fields;
  if (!Array.isArray(weights)) return `its weights are ${brief(weights)}, not a list`;
  if (weights.length !== sizes.length) return `it sent ${weights.length} weight arrays, expected ${sizes.length}`;
  const bad = weights.findIndex((w, i) => !(w instanceof Float32Array) || w.length !== sizes[i]);
  if (bad >= 0) return `its weight array ${bad} is ${brief(weights[bad])}, expected Float32Array(${sizes[bad]})`;
  const field = COUNTS.find((f) => typeof fields[f] !== "number");
  if (field !== undefined) return `its ${field} is ${brief(fields[field])}, not a number`;
  if (!isRecord(times) || STAGE_PARTS.some((p) => typeof times[p] !== "number")) return "its times are not numbers";
  if (!isRecord(memory) || MEMORY.some((p) => typeof memory[p] !== "number")) return "its memory is not numbers";
  // Each an `InterfaceDiagnostics`: a layer, a type, where it sits (on a recurrent state) and numbers.
  const entry = (d: unknown) =>
    isRecord(d) && typeof d.layer === "number" && typeof d.type === "string" &&
    (d.on === undefined || d.on === "state") &&
    Object.entries(d).every(([name, n]) => name === "type" || name === "on" || typeof n === "number");
  if (!Array.isArray(diagnostics) || !diagnostics.every(entry)) {
    return "its diagnostics are not a list of layers, types and numbers";
  }
  return undefined;
}
