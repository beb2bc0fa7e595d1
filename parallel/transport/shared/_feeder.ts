// Private: the shared transport's coordinator side: stage 0 gets several batches per message (transferred), and the
// rings between the threads are made here (once the first batch says how many rows a batch has).
import type { Batch } from "../../../datasets/dataset.ts";
import type { Network } from "../../../network/network.ts";
import type { Stage } from "../../partition.ts";
import type { Forward, FromStage, StageRings, ToStage, WindowMeta } from "../../protocol.ts";
import { stamp } from "../../stage/_clock.ts";
import type { StagePool } from "../_pool.ts";
import type { Feeder } from "../_transport.ts";
import { Doorbells } from "./_doorbells.ts";
import { SharedRing } from "./_ring.ts";

/** Batches stage 0 may hold unread beyond what `staleness` lets it run ahead. */
const EXTRA_BATCHES = 6;
/** Stage 0 asks for more when this few are left unread. */
const LOW_BATCHES = 3;

const size = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1);

// Stage 0 gets several batches per message (transferred); the rings between the stages are made here; stage 0
// says "consumed" only when its batches run low and the coordinator asked (raised its flag).
export class SharedFeeder implements Feeder {
  readonly bells: SharedArrayBuffer;
  readonly #doorbells: Doorbells;
  readonly #pool: StagePool<ToStage, FromStage>;
  readonly #network: Network;
  readonly #stages: Stage[];
  readonly #staleness: number;
  readonly #depth: number;
  #rows = 0;
  #fed = 0;
  #items: Forward[] = [];
  posts = 0;

  constructor(pool: StagePool<ToStage, FromStage>, network: Network, stages: Stage[], staleness: number) {
    this.#pool = pool;
    this.#network = network;
    this.#stages = stages;
    this.#staleness = staleness;
    this.#depth = staleness + 2 + EXTRA_BATCHES;
    this.#doorbells = new Doorbells(stages.length);
    this.bells = this.#doorbells.flags.buffer as SharedArrayBuffer;
  }

  // Between epochs every ring is empty: new ones (for bigger batches) replace the old ones safely.
  begin(first: Batch): void {
    this.#doorbells.lower(this.#doorbells.drain);
    const rows = first.size;
    if (rows <= this.#rows) return;
    this.#rows = rows;
    const slots = this.#staleness + 2, layers = this.#network.layers;
    const forward = this.#stages.slice(0, -1).map((st) =>
      new SharedRing(slots, rows * size(layers[st.hi]!.outputShape), rows)
    );
    // Messages for stage k come from stage k + 1: dL/d(its input), or two factors [rows, units] and [units, width].
    const messages = this.#stages.slice(1).map((st) => {
      const width = size(layers[st.lo]!.inputShape), units = size(layers[st.lo]!.outputShape);
      return new SharedRing(slots, Math.max(rows * width, st.messageBelow ? units * (rows + width) : 0), 0);
    });
    this.#stages.forEach((_, k) => {
      const rings: StageRings = {
        kind: "rings",
        input: forward[k - 1]?.buffer,
        output: forward[k]?.buffer,
        messagesIn: messages[k]?.buffer,
        messagesOut: messages[k - 1]?.buffer,
        low: LOW_BATCHES,
      };
      this.#pool.post(k, rings);
      this.posts++;
    });
  }

  // Batches sent and not yet taken by stage 0 (it counts what it takes in shared memory).
  #pending(): number {
    return this.#fed - Atomics.load(this.#doorbells.flags, this.#doorbells.taken);
  }

  hasRoom(): boolean {
    return this.#pending() < this.#depth;
  }

  feed(step: number, b: Batch & { window?: WindowMeta }): void {
    if (b.window) throw new Error("A sequence window does not travel in the shared rings (a bug: use messages)");
    this.#items.push({ kind: "forward", step, x: b.x, rows: b.size, labels: b.labels });
    this.#fed++;
  }

  // Sends what waits, then asks stage 0 for word when its batches run low and looks once more (it may have run low
  // meanwhile).
  fed(more: boolean): boolean {
    if (this.#items.length > 0) {
      const items = this.#items;
      this.#items = [];
      this.#pool.post(0, { kind: "batches", items, sent: stamp() }, items.map((f) => f.x.buffer));
      this.posts++;
    }
    if (!more) return false;
    const bells = this.#doorbells;
    bells.raise(bells.feed);
    return this.#pending() <= LOW_BATCHES && bells.lower(bells.feed);
  }

  // From now on the last stage sends its results whenever it runs out of work; wake it if it sleeps on some.
  exhausted(): void {
    const bells = this.#doorbells, last = this.#stages.length - 1;
    bells.raise(bells.drain);
    if (bells.lower(last)) this.#wake(last);
  }

  #wake(k: number): void {
    this.#pool.post(k, { kind: "wake", sent: stamp() });
    this.posts++;
  }

  consumed(): void {}
}
