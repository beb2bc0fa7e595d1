// Private: rings of items in shared memory, how the pipeline's shared transport hands activations, messages and
// batches from one thread to the next. One thread writes a ring and one reads it. An item is a slot: its step,
// rows and two numbers of metadata, the batch's labels, and float32 values. The writer fills the slot and then
// publishes it (the ring's count of written items, an atomic store); the reader sees it by loading that count,
// copies the values out, and then marks it read (the ring's count of read items), which frees the slot. No message
// is needed per item: a reader that found nothing to do says so (`Doorbells`) and only then is it sent one.
//
// The pipeline's flow control keeps fewer items unread than a ring has slots; a writer that finds its ring full
// throws, and every slot carries the step it holds, which the reader checks after copying the values out, so a
// slot reused too early is an error, never silently wrong numbers.

// Ring header (int32): items written, items read, slots, floats per slot, label bytes per slot.
const WRITTEN = 0, READ = 1, SLOTS = 2, FLOATS = 3, LABELS = 4;
const RING_HEADER = 64;
// Slot header (int32): the step it holds (or WRITING), rows, two numbers for the item's own use.
const STEP = 0, ROWS = 1, A = 2, B = 3;
const SLOT_HEADER = 16;
const WRITING = -1;
const LINE = 64;
const lines = (bytes: number) => Math.ceil(bytes / LINE) * LINE;

/** One item of a ring, as its writer fills it or its reader finds it. */
export interface Item {
  step: number;
  rows: number;
  /** Two numbers for the item's own use (e.g. a message's factor shape). */
  a: number;
  b: number;
  /** The batch's labels (`rows` of them). */
  labels: Uint8Array;
  /** The values: a view of the slot, of the length the writer gave. */
  values: Float32Array;
}

/** A ring of items in one `SharedArrayBuffer`; both threads make a `SharedRing` of the same buffer. */
export class SharedRing {
  readonly buffer: SharedArrayBuffer;
  readonly slots: number;
  readonly floats: number;
  readonly labelBytes: number;
  readonly #head: Int32Array;
  readonly #stride: number;
  #written = 0;
  #read = 0;

  /** A new ring of `slots` slots for `floats` values and `labelBytes` labels each, or the ring of `buffer`. */
  constructor(slots: number, floats: number, labelBytes: number);
  constructor(buffer: SharedArrayBuffer);
  constructor(slotsOrBuffer: number | SharedArrayBuffer, floats = 0, labelBytes = 0) {
    if (typeof slotsOrBuffer === "number") {
      if (!Number.isInteger(slotsOrBuffer) || slotsOrBuffer < 1) {
        throw new RangeError(`A ring needs >= 1 slots, got ${slotsOrBuffer}`);
      }
      const stride = lines(SLOT_HEADER) + lines(labelBytes) + lines(4 * floats);
      this.buffer = new SharedArrayBuffer(RING_HEADER + stride * slotsOrBuffer);
      new Int32Array(this.buffer, 0, 5).set([0, 0, slotsOrBuffer, floats, labelBytes]);
    } else this.buffer = slotsOrBuffer;
    this.#head = new Int32Array(this.buffer, 0, 5);
    this.slots = this.#head[SLOTS]!;
    this.floats = this.#head[FLOATS]!;
    this.labelBytes = this.#head[LABELS]!;
    this.#stride = lines(SLOT_HEADER) + lines(this.labelBytes) + lines(4 * this.floats);
    this.#written = Atomics.load(this.#head, WRITTEN);
    this.#read = Atomics.load(this.#head, READ);
  }

  #item(index: number, n: number): Item & { header: Int32Array } {
    const at = RING_HEADER + (index % this.slots) * this.#stride;
    const header = new Int32Array(this.buffer, at, 4);
    const labels = new Uint8Array(this.buffer, at + lines(SLOT_HEADER), this.labelBytes);
    const values = new Float32Array(this.buffer, at + lines(SLOT_HEADER) + lines(this.labelBytes), n);
    return { header, step: header[STEP]!, rows: header[ROWS]!, a: header[A]!, b: header[B]!, labels, values };
  }

  /**
   * The next slot to write, with room for `n` values; it reads as being written until `publish`.
   *
   * @throws {Error} If the ring is full or the values do not fit (flow-control or sizing bugs).
   */
  claim(n: number, what: string): Float32Array {
    if (n > this.floats) throw new RangeError(`${n} values do not fit a ${what} ring slot of ${this.floats}`);
    if (this.#written - Atomics.load(this.#head, READ) >= this.slots) {
      throw new Error(`The ${what} ring is full (${this.slots} slots): the pipeline let a thread run too far ahead`);
    }
    const { header, values } = this.#item(this.#written, n);
    Atomics.store(header, STEP, WRITING);
    return values;
  }

  /** Publishes the slot last claimed as `step`'s item, with its labels and metadata. */
  publish(step: number, rows: number, labels: Uint8Array, a = 0, b = 0): void {
    const { header, labels: room } = this.#item(this.#written, 0);
    room.set(labels.subarray(0, Math.min(labels.length, room.length)));
    header[ROWS] = rows;
    header[A] = a;
    header[B] = b;
    Atomics.store(header, STEP, step);
    Atomics.store(this.#head, WRITTEN, ++this.#written);
  }

  /** Items written and not yet read (as the reader sees it). */
  unread(): number {
    return Atomics.load(this.#head, WRITTEN) - this.#read;
  }

  /** Items written and not yet read (as the writer sees it). */
  pending(): number {
    return this.#written - Atomics.load(this.#head, READ);
  }

  /** The next unread item, its values `n(item)` long, or undefined when there is none. */
  peek(n: (rows: number, a: number, b: number) => number): Item | undefined {
    if (this.unread() === 0) return undefined;
    const head = this.#item(this.#read, 0);
    return this.#item(this.#read, n(head.rows, head.a, head.b));
  }

  /**
   * Marks the next item read (its values copied out), freeing its slot.
   *
   * @throws {Error} If the slot no longer holds `step` (its writer reused it too early).
   */
  done(step: number, what: string): void {
    const held = Atomics.load(this.#item(this.#read, 0).header, STEP);
    if (held !== step) {
      throw new Error(
        `The shared slot of the ${what} for step ${step} was overwritten (it holds ${
          held === WRITING ? "a step being written" : `step ${held}`
        }) before it was read: the pipeline let a thread run too far ahead`,
      );
    }
    Atomics.store(this.#head, READ, ++this.#read);
  }
}

/**
 * Who is asleep, in shared memory: one flag per pipeline stage, then two the coordinator raises: `feed` (stage 0
 * says "consumed" when its batches run low) and `drain` (the epoch's last batch is fed: the last stage sends its
 * results whenever it runs out of work), and the count of batches stage 0 has taken (`taken`). A reader that found
 * nothing to do raises its flag and looks once more; a writer that publishes an item lowers the reader's flag and,
 * if it was raised, posts it a message to wake it. Either the reader sees the item or the writer sees the flag: no
 * wake-up is lost.
 */
export class Doorbells {
  readonly flags: Int32Array;
  /** Index of the `feed` and `drain` flags and of the `taken` count. */
  readonly feed: number;
  readonly drain: number;
  readonly taken: number;

  /** Flags for `stages` stages, or the flags of `buffer`. */
  constructor(stagesOrBuffer: number | SharedArrayBuffer) {
    const buffer = typeof stagesOrBuffer === "number"
      ? new SharedArrayBuffer(4 * (stagesOrBuffer + 3))
      : stagesOrBuffer;
    this.flags = new Int32Array(buffer);
    this.feed = this.flags.length - 3;
    this.drain = this.flags.length - 2;
    this.taken = this.flags.length - 1;
  }

  /** Whether flag `k` is raised. */
  raised(k: number): boolean {
    return Atomics.load(this.flags, k) === 1;
  }

  /** Raises flag `k`. */
  raise(k: number): void {
    Atomics.store(this.flags, k, 1);
  }

  /** Lowers flag `k`; whether it was raised. */
  lower(k: number): boolean {
    return Atomics.exchange(this.flags, k, 0) === 1;
  }
}
