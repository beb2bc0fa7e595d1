// Private: rings of slots in shared memory, the pipeline's way of handing float32 arrays (activations, messages,
// batches) from one thread to the next without copying them into a message. The writer fills the slot of a step
// and posts a small message that holds a view of it; structured clone shares a SharedArrayBuffer instead of
// copying it, so the reader's view is the writer's memory. The pipeline's flow control keeps at most `slots`
// steps in flight per ring; every slot carries the step it holds, and a reader checks it after copying the values
// out, so a slot overwritten too early is an error, never silently wrong numbers.

// Each slot: an 8-byte header (the step it holds, or WRITING), then its floats; slots start on 64-byte lines.
const HEADER = 8;
const LINE = 64;
const WRITING = -1;

/** A ring of `slots` slots of up to `floats` float32 values each, written by one thread. */
export class SharedRing {
  readonly slots: number;
  readonly floats: number;
  readonly #buffer: SharedArrayBuffer;
  readonly #stride: number;

  /** Allocates the ring (zeroed shared memory). */
  constructor(slots: number, floats: number) {
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`A ring needs >= 1 slots, got ${slots}`);
    this.slots = slots;
    this.floats = floats;
    this.#stride = Math.ceil((HEADER + 4 * floats) / LINE) * LINE;
    this.#buffer = new SharedArrayBuffer(this.#stride * slots);
  }

  /** The first `n` floats of `step`'s slot, to write into; the slot reads as being written until `publish`. */
  claim(step: number, n: number): Float32Array {
    if (n > this.floats) throw new RangeError(`${n} values do not fit a ring slot of ${this.floats}`);
    const at = (step % this.slots) * this.#stride;
    Atomics.store(new Int32Array(this.#buffer, at, 1), 0, WRITING);
    return new Float32Array(this.#buffer, at + HEADER, n);
  }

  /** Marks `step`'s slot as holding `step` (after its values are written). */
  publish(step: number): void {
    Atomics.store(new Int32Array(this.#buffer, (step % this.slots) * this.#stride, 1), 0, step);
  }
}

/** A ring that fits `floats` values per slot: `ring` itself when it does, else a new one. */
export function ringFor(ring: SharedRing | undefined, slots: number, floats: number): SharedRing {
  return ring !== undefined && ring.slots === slots && ring.floats >= floats ? ring : new SharedRing(slots, floats);
}

/** Whether `values` is a view of a ring slot (shared memory) rather than an array of its own. */
export function isShared(values: Float32Array): boolean {
  return values.buffer instanceof SharedArrayBuffer;
}

/**
 * Checks that the slot `values` is a view of still holds `step`; call it after copying the values out.
 *
 * @throws {Error} If the writer has started to reuse the slot (a flow-control bug).
 */
export function checkSlot(values: Float32Array, step: number, what: string): void {
  const header = new Int32Array(values.buffer, values.byteOffset - HEADER, 1);
  const held = Atomics.load(header, 0);
  if (held !== step) {
    throw new Error(
      `The shared slot of the ${what} for step ${step} was overwritten (it holds ${
        held === WRITING ? "a step being written" : `step ${held}`
      }) before it was read: the pipeline let a thread run too far ahead`,
    );
  }
}
