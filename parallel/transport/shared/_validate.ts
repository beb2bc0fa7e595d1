// Private: the checks of the shared transport's own messages to a stage: the rings (between epochs) and stage 0's
// batches. A stage of another transport refuses both (`MessageLinks`).
import type { StageRings } from "../../protocol.ts";
import { brief, isCount, isRecord, type Refusal, refuse } from "../../_refusals.ts";
import { SharedRing } from "./_ring.ts";

/**
 * A refusal unless `m` gives rings fit for a stage of the shared transport (`shared`) between epochs (`idle`: it
 * awaits no message), `first` or `last` in the pipeline: each ring it needs, a valid one, and no other.
 */
export function ringsRefusal(
  m: StageRings,
  place: { shared: boolean; idle: boolean; first: boolean; last: boolean },
): Refusal | undefined {
  if (!place.shared) return refuse("rings without the shared transport");
  if (!place.idle) return refuse("rings mid-epoch", "rings came while the stage awaited messages");
  const needed = { input: !place.first, output: !place.last, messagesIn: !place.last, messagesOut: !place.first };
  for (const [name, needs] of Object.entries(needed)) {
    const buffer = m[name as keyof typeof needed];
    if ((buffer !== undefined) !== needs) {
      return refuse("rings of the wrong set", `${name} ring ${needs ? "missing" : "where the stage has none"}`);
    }
    if (buffer === undefined) continue;
    if (!(buffer instanceof SharedArrayBuffer)) return refuse("bad ring", `${name} ring is ${brief(buffer)}`);
    try {
      new SharedRing(buffer);
    } catch (error) {
      return refuse("bad ring", `${name} ring: ${(error as Error).message}`);
    }
  }
  if (!isCount(m.low)) return refuse("bad low mark", `low ${brief(m.low)} is not a non-negative integer`);
  return undefined;
}

/** A refusal unless `items` is a list of forward items for stage 0 of the shared transport (`fits`). */
export function batchesRefusal(items: unknown, fits: boolean): Refusal | undefined {
  if (!fits) return refuse("batches not for this stage", "batches go to stage 0 of the shared transport only");
  if (!Array.isArray(items)) return refuse("bad batch list", `items are ${brief(items)}, not a list`);
  const bad = items.findIndex((f) => !isRecord(f) || f.kind !== "forward");
  return bad < 0 ? undefined : refuse("bad batch item", `item ${bad} is ${brief(items[bad])}, not a forward item`);
}
