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
const INT32_MAX = 0x7fffffff;
// At most 2^30 slots, so that the counters wrap at (a multiple of the slots) >= twice the slots.
const MAX_SLOTS = 2 ** 30;
const lines = (bytes: number) => Math.ceil(bytes / LINE) * LINE;
const isInt32 = (x: number) => (x | 0) === x;

// The counters of items written and read are int32 in shared memory: 64-bit ones (a `BigInt64Array`) would make a
// BigInt per atomic load, on every item. They count modulo the ring's `wrap`, the largest multiple of its slots up
// to 2^31, so they stay non-negative int32, the slot of count c is c % slots on both sides of the wrap, and the items
// unread are (written - read) mod wrap, right as long as fewer than `wrap` are (flow control keeps them <= slots).
// Counting modulo 2^32 (int32 wrapping on its own) would not do: unless the slots divide 2^32 the item after count
// 2^32 - 1 would go to slot 0 out of turn, onto an item not yet read.

/** Why `slots`, `floats` and `labelBytes` cannot make a ring, or undefined if they can. */
function badSize(slots: number, floats: number, labelBytes: number): string | undefined {
  const bad = (field: string, value: number, lo: number, hi: number) =>
    Number.isInteger(value) && value >= lo && value <= hi
      ? undefined
      : `A ring's ${field} must be an integer from ${lo} to ${hi}, got ${value}`;
  return bad("slots", slots, 1, MAX_SLOTS) ?? bad("floats", floats, 0, INT32_MAX) ??
    bad("labelBytes", labelBytes, 0, INT32_MAX);
}

/** One item of a ring, as its writer fills it or its reader finds it. */
export interface Item {
  step: number;
  rows: number;
  /** Two numbers for the item's own use (e.g. a message's factor shape). */
  a: number;
  b: number;
  /** The batch's labels (`rows` of them): a view of the slot's label bytes. */
  labels: Uint8Array;
  /** The values: a view of the slot, of the length the reader computed from the item. */
  values: Float32Array;
}

/**
 * A ring of items in one `SharedArrayBuffer`; both threads make a `SharedRing` of the same buffer. What is read from
 * shared memory is checked before it is used: a ring made of a buffer checks its header, and a reader its items'
 * rows and lengths, so a corrupt ring is an error, never a view past a slot.
 */
export class SharedRing {
  readonly buffer: SharedArrayBuffer;
  readonly slots: number;
  readonly floats: number;
  readonly labelBytes: number;
  /** The count at which the counters of items written and read go back to 0 (a multiple of `slots`). */
  readonly wrap: number;
  readonly #ints: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #stride: number;
  readonly #labelsAt: number;
  readonly #valuesAt: number;
  #written = 0;
  #read = 0;
  // The writer's slot claimed and not yet published, and the name its `claim` gave the ring.
  #claimed = false;
  #what = "";

  /**
   * A new ring of `slots` slots for `floats` values and `labelBytes` labels each, or the ring of `buffer`.
   *
   * @throws {RangeError} If the sizes are not integers in range, or `buffer`'s header is not a ring's: its sizes
   * (slots >= 1, floats >= 0, labelBytes >= 0) must take exactly its byteLength and its counters must be in range
   * with at most `slots` items unread.
   * @throws {TypeError} If `buffer` is not a fixed-length `SharedArrayBuffer`.
   */
  constructor(slots: number, floats: number, labelBytes: number);
  constructor(buffer: SharedArrayBuffer);
  constructor(slotsOrBuffer: number | SharedArrayBuffer, floats = 0, labelBytes = 0) {
    if (typeof slotsOrBuffer === "number") {
      const bad = badSize(slotsOrBuffer, floats, labelBytes);
      if (bad !== undefined) throw new RangeError(bad);
      const stride = lines(SLOT_HEADER) + lines(labelBytes) + lines(4 * floats);
      this.buffer = new SharedArrayBuffer(RING_HEADER + stride * slotsOrBuffer);
      new Int32Array(this.buffer, 0, 5).set([0, 0, slotsOrBuffer, floats, labelBytes]);
    } else {
      if (!(slotsOrBuffer instanceof SharedArrayBuffer) || slotsOrBuffer.growable) {
        throw new TypeError("A ring is made of a fixed-length SharedArrayBuffer");
      }
      if (slotsOrBuffer.byteLength < RING_HEADER) {
        throw new RangeError(`A ring's byteLength must be at least ${RING_HEADER}, got ${slotsOrBuffer.byteLength}`);
      }
      this.buffer = slotsOrBuffer;
    }
    const head = new Int32Array(this.buffer, 0, 5);
    this.slots = head[SLOTS]!;
    this.floats = head[FLOATS]!;
    this.labelBytes = head[LABELS]!;
    const bad = badSize(this.slots, this.floats, this.labelBytes);
    if (bad !== undefined) throw new RangeError(bad);
    this.#labelsAt = lines(SLOT_HEADER);
    this.#valuesAt = this.#labelsAt + lines(this.labelBytes);
    this.#stride = this.#valuesAt + lines(4 * this.floats);
    const size = RING_HEADER + this.#stride * this.slots;
    if (this.buffer.byteLength !== size) {
      throw new RangeError(
        `A ring's byteLength must be ${size} (${this.slots} slots of ${this.#stride} bytes for ${this.floats} floats ` +
          `and ${this.labelBytes} labelBytes), got ${this.buffer.byteLength}`,
      );
    }
    this.wrap = Math.floor(2 ** 31 / this.slots) * this.slots;
    this.#ints = new Int32Array(this.buffer, 0, size / 4);
    this.#bytes = new Uint8Array(this.buffer, 0, size);
    this.#written = Atomics.load(head, WRITTEN);
    this.#read = Atomics.load(head, READ);
    for (const [field, count] of [["written", this.#written], ["read", this.#read]] as const) {
      if (count < 0 || count >= this.wrap) {
        throw new RangeError(`A ring's ${field} count must be from 0 to ${this.wrap - 1}, got ${count}`);
      }
    }
    const unread = this.#modulo(this.#written - this.#read);
    if (unread > this.slots) {
      throw new RangeError(
        `A ring's written count ${this.#written} is ${unread} past its read count ${this.#read} (mod ${this.wrap}), ` +
          `more than its ${this.slots} slots`,
      );
    }
  }

  /** `d` modulo `wrap`, for `d` the difference of two counts in [0, wrap). */
  #modulo(d: number): number {
    return d < 0 ? d + this.wrap : d;
  }

  /** Where the slot of item `count` starts, in bytes. */
  #at(count: number): number {
    return RING_HEADER + (count % this.slots) * this.#stride;
  }

  /** The count after `count`. */
  #next(count: number): number {
    return count + 1 === this.wrap ? 0 : count + 1;
  }

  /**
   * The next slot to write, with room for `n` values; it reads as being written until `publish`.
   *
   * @throws {Error} If the ring is full or the values do not fit (flow-control or sizing bugs).
   */
  claim(n: number, what: string): Float32Array {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`A ${what} ring slot cannot hold ${n} values`);
    if (n > this.floats) throw new RangeError(`${n} values do not fit a ${what} ring slot of ${this.floats}`);
    if (this.pending() >= this.slots) {
      throw new Error(`The ${what} ring is full (${this.slots} slots): the pipeline let a thread run too far ahead`);
    }
    const at = this.#at(this.#written);
    Atomics.store(this.#ints, at / 4 + STEP, WRITING);
    this.#claimed = true;
    this.#what = what;
    return new Float32Array(this.buffer, at + this.#valuesAt, n);
  }

  /**
   * Publishes the slot last claimed as `step`'s item, with its labels and metadata.
   *
   * @throws {RangeError} If `step` is not an integer from 0 to 2^31 - 1, or `rows`, `a` or `b` not an int32.
   * @throws {Error} If no slot is claimed, the labels do not fit the slot, there are fewer than `rows` of them (where
   * there are any), or the ring has labels for fewer than `rows`.
   */
  publish(step: number, rows: number, labels: Uint8Array, a = 0, b = 0): void {
    const what = this.#what, room = this.labelBytes;
    if (!this.#claimed) throw new Error(`The ${what || "shared"} ring's step ${step} was published without a claim`);
    if (!isInt32(step) || step < 0) throw new RangeError(`The ${what} ring cannot publish step ${step}`);
    if (!isInt32(rows) || rows < 0 || !isInt32(a) || !isInt32(b)) {
      throw new RangeError(`The ${what} ring cannot publish step ${step} with rows ${rows}, a ${a}, b ${b}`);
    }
    if (labels.length > room) {
      throw new Error(`${labels.length} labels do not fit a ${what} ring slot's ${room} label bytes (step ${step})`);
    }
    if (labels.length > 0 && labels.length < rows) {
      throw new Error(`${labels.length} labels are fewer than the ${rows} rows of step ${step} on the ${what} ring`);
    }
    if (room > 0 && rows > room) {
      throw new Error(`${rows} rows do not fit a ${what} ring slot's ${room} label bytes (step ${step})`);
    }
    const at = this.#at(this.#written), h = at / 4;
    this.#bytes.set(labels, at + this.#labelsAt);
    this.#ints[h + ROWS] = rows;
    this.#ints[h + A] = a;
    this.#ints[h + B] = b;
    Atomics.store(this.#ints, h + STEP, step);
    this.#claimed = false;
    this.#written = this.#next(this.#written);
    Atomics.store(this.#ints, WRITTEN, this.#written);
  }

  /** Items written and not yet read (as the reader sees it). */
  unread(): number {
    return this.#modulo(Atomics.load(this.#ints, WRITTEN) - this.#read);
  }

  /** Items written and not yet read (as the writer sees it). */
  pending(): number {
    return this.#modulo(this.#written - Atomics.load(this.#ints, READ));
  }

  /**
   * The next unread item, its values `n(item)` long, or undefined when there is none.
   *
   * @throws {Error} If the ring is corrupt: more items unread than slots, the item's rows not from 0 to the labels
   * a slot holds (where it holds any), or `n` not an integer from 0 to the slot's `floats`.
   */
  peek(n: (rows: number, a: number, b: number) => number, what = "shared"): Item | undefined {
    const written = Atomics.load(this.#ints, WRITTEN), unread = this.#modulo(written - this.#read);
    if (unread === 0) return undefined;
    if (unread < 0 || unread > this.slots) {
      throw new Error(
        `The ${what} ring's written count ${written} is not 1 to ${this.slots} items past its read count ${this.#read}`,
      );
    }
    const at = this.#at(this.#read), h = at / 4, ints = this.#ints;
    const step = ints[h + STEP]!, rows = ints[h + ROWS]!, a = ints[h + A]!, b = ints[h + B]!;
    const most = this.labelBytes > 0 ? this.labelBytes : INT32_MAX;
    if (rows < 0 || rows > most) {
      throw new Error(`The ${what} ring's item for step ${step} has ${rows} rows, not 0 to ${most}`);
    }
    const length = n(rows, a, b);
    if (!Number.isInteger(length) || length < 0 || length > this.floats) {
      throw new Error(
        `The ${what} ring's item for step ${step} (rows ${rows}, a ${a}, b ${b}) has ${length} values, ` +
          `not 0 to a slot's ${this.floats}`,
      );
    }
    return {
      step,
      rows,
      a,
      b,
      labels: new Uint8Array(this.buffer, at + this.#labelsAt, this.labelBytes),
      values: new Float32Array(this.buffer, at + this.#valuesAt, length),
    };
  }

  /**
   * Marks the next item read (its values copied out), freeing its slot.
   *
   * @throws {Error} If the slot no longer holds `step` (its writer reused it too early).
   */
  done(step: number, what: string): void {
    const held = Atomics.load(this.#ints, this.#at(this.#read) / 4 + STEP);
    if (held !== step) {
      throw new Error(
        `The shared slot of the ${what} for step ${step} was overwritten (it holds ${
          held === WRITING ? "a step being written" : `step ${held}`
        }) before it was read: the pipeline let a thread run too far ahead`,
      );
    }
    this.#read = this.#next(this.#read);
    Atomics.store(this.#ints, READ, this.#read);
  }
}
