// Private: the shared transport's stage side: items in rings of slots in shared memory (`_ring.ts`), a neighbour
// posted a "wake" only when it said it was asleep (`Doorbells`); stage 0's batches come several to a message.
import type { tf } from "../../../deps.ts";
import type { BatchResult, Forward, Message, StageRings, ToStage, WindowMeta } from "../../protocol.ts";
import type { Refusal } from "../../_refusals.ts";
import type { StageLinks, StagePlace, StagePort } from "../../stage/_links.ts";
import { stamp } from "../../stage/_clock.ts";
import { copyValues } from "../../_values.ts";
import { Doorbells } from "./_doorbells.ts";
import { SharedRing } from "./_ring.ts";
import { batchesRefusal, ringsRefusal } from "./_validate.ts";

/**
 * Shared transport: a message to the main thread wakes it, and on a machine with as many cores as stages it then
 * takes one from a stage; so the stages say what the main thread needs when they are about to sleep anyway (their
 * core is then free), unless it cannot wait. The last stage sends its results when it runs out of work and has at
 * least this many (at least 4 times as many: at once; once the epoch's last batch is fed: whenever it runs out of
 * work); stage 0 asks for batches when it runs out of work and they run low, or at once when one is left. Stage 0's
 * batches come several to a message, transferred (copying them into a ring would cost the main thread more).
 */
const RESULTS_PER_MESSAGE = 4;

/** Items in rings of shared memory; a neighbour is posted a "wake" only when it said it was asleep. */
export class SharedLinks implements StageLinks {
  readonly #place: StagePlace;
  readonly #bells: Doorbells;
  #rings: { input?: SharedRing; output?: SharedRing; messagesIn?: SharedRing; messagesOut?: SharedRing } = {};
  #low = 0;
  #results: BatchResult[] = [];
  // Stage 0: the batches the coordinator sent, not yet taken.
  readonly #batches: Forward[] = [];

  /** `bells`: the flags of who is asleep (see `Doorbells`). */
  constructor(place: StagePlace, bells: SharedArrayBuffer) {
    this.#place = place;
    this.#bells = new Doorbells(bells);
  }

  nextMessage(): Message | undefined {
    const item = this.#rings.messagesIn?.peek(
      (rows, a, b) => a < 0 ? 0 : a > 0 ? rows * a + a * b : rows * this.#place.outputWidth,
      "message",
    );
    if (item === undefined) return undefined;
    const { step, rows, a, b, values } = item;
    if (a < 0) return { kind: "message", step, gradient: null };
    if (a === 0) return { kind: "message", step, gradient: values };
    return {
      kind: "message",
      step,
      gradient: values.subarray(0, rows * a),
      factor: { values: values.subarray(rows * a), shape: [a, b] },
    };
  }

  takeMessage(m: Message): void {
    this.#rings.messagesIn!.done(m.step, "message");
  }

  nextInput(): Forward | undefined {
    if (this.#rings.input === undefined) return this.#batches[0];
    const item = this.#rings.input.peek((rows) => rows * this.#place.inputWidth, "input");
    if (item === undefined) return undefined;
    // The labels go on to the next stage after the slot is freed: a copy of their own (rows bytes).
    const { step, rows, labels, values } = item;
    return { kind: "forward", step, rows, labels: labels.slice(0, rows), x: values };
  }

  takeInput(f: Forward): void {
    if (this.#rings.input !== undefined) return this.#rings.input.done(f.step, "input");
    this.#batches.shift();
    Atomics.add(this.#bells.flags, this.#bells.taken, 1);
  }

  forward(step: number, rows: number, labels: Uint8Array, output: tf.Tensor, window?: WindowMeta): void {
    if (window) throw new Error("A sequence window does not travel in the shared rings (a bug: use messages)");
    const ring = this.#rings.output!;
    copyValues(output, ring.claim(output.size, "activations"));
    ring.publish(step, rows, labels);
    this.#place.clock.lap("copies");
    this.#wake(this.#place.index + 1, this.#place.up!);
  }

  message(step: number, parts: tf.Tensor[]): void {
    const ring = this.#rings.messagesOut!;
    const values = ring.claim(parts.reduce((n, t) => n + t.size, 0), "message");
    let at = 0;
    for (const t of parts) copyValues(t, values.subarray(at, at += t.size));
    const [a, b] = parts.length === 0 ? [-1, 0] : parts.length === 2 ? parts[1]!.shape : [0, 0];
    ring.publish(step, parts[0]?.shape[0] ?? 0, new Uint8Array(0), a, b);
    this.#place.clock.lap("copies");
    this.#wake(this.#place.index - 1, this.#place.down!);
  }

  consumed(): void {
    if (this.#batches.length <= 1) this.#askForBatches();
  }

  result(r: BatchResult): void {
    this.#results.push(r);
    if (this.#results.length >= 4 * RESULTS_PER_MESSAGE) this.#flush();
  }

  refusal(m: ToStage, place: { idle: boolean; first: boolean; last: boolean }): Refusal | undefined {
    switch (m.kind) {
      case "forward":
      case "message":
        return { reason: "item outside the rings", detail: "the shared transport's items come in rings" };
      case "rings":
        return ringsRefusal(m, { ...place, shared: true });
      case "batches":
        return batchesRefusal(m.items, place.first);
      default:
        return undefined;
    }
  }

  deliver(m: ToStage): boolean {
    Atomics.store(this.#bells.flags, this.#place.index, 0); // awake: neighbours need not post a wake
    if (m.kind === "rings") this.#setRings(m);
    if (m.kind === "batches") this.#batches.push(...m.items);
    return m.kind !== "forward" && m.kind !== "message";
  }

  sleep(canWork: () => boolean): boolean {
    this.#bells.raise(this.#place.index);
    if (this.#results.length >= RESULTS_PER_MESSAGE || this.#bells.raised(this.#bells.drain)) this.#flush();
    if (this.#place.index === 0) this.#askForBatches();
    if (!canWork()) return true;
    this.#bells.lower(this.#place.index);
    return false;
  }

  #setRings(m: StageRings): void {
    const ring = (b?: SharedArrayBuffer) => b && new SharedRing(b);
    this.#rings = {
      input: ring(m.input),
      output: ring(m.output),
      messagesIn: ring(m.messagesIn),
      messagesOut: ring(m.messagesOut),
    };
    this.#low = m.low;
  }

  #wake(k: number, port: StagePort): void {
    if (!this.#bells.lower(k)) return;
    port.postMessage({ kind: "wake", sent: stamp() } satisfies ToStage);
    this.#place.clock.posted();
  }

  // Stage 0: "consumed" when few batches are left and the coordinator asked for word (raised its flag).
  #askForBatches(): void {
    if (this.#batches.length <= this.#low && this.#bells.lower(this.#bells.feed)) {
      this.#place.post({ kind: "consumed", count: 0 });
      this.#place.clock.posted();
    }
  }

  #flush(): void {
    if (this.#results.length === 0) return;
    this.#place.post({ kind: "done", results: this.#results });
    this.#results = [];
    this.#place.clock.posted();
  }
}
