// Private: how the coordinator hands a batch to stage 0 of a pipeline: copied into a slot of a ring in shared
// memory (the message holds a view of it), or transferred in the message.
import type { Batch } from "../datasets/dataset.ts";
import type { Transport } from "./profile.ts";
import type { FromStage, ToStage } from "./protocol.ts";
import { ringFor, type SharedRing } from "./_ring.ts";
import { stamp } from "./_stage_clock.ts";
import type { WorkerPool } from "./_pool.ts";

/** Posts batches to stage 0; with the shared transport, at most `slots` of them may be unread at a time. */
export class Feeder {
  readonly #pool: WorkerPool<ToStage, FromStage>;
  readonly #shared: boolean;
  readonly #slots: number;
  #ring: SharedRing | undefined;

  constructor(pool: WorkerPool<ToStage, FromStage>, transport: Transport, slots: number) {
    this.#pool = pool;
    this.#shared = transport === "shared";
    this.#slots = slots;
  }

  /** Sends batch `b` as step `step`. */
  feed(step: number, b: Batch): void {
    if (!this.#shared) {
      this.#pool.post(0, { kind: "forward", step, x: b.x, rows: b.size, labels: b.labels, sent: stamp() }, [
        b.x.buffer,
      ]);
      return;
    }
    const ring = this.#ring = ringFor(this.#ring, this.#slots, b.x.length);
    const x = ring.claim(step, b.x.length);
    x.set(b.x);
    ring.publish(step);
    this.#pool.post(0, { kind: "forward", step, x, rows: b.size, labels: b.labels, sent: stamp() });
  }
}
