// Private: the flags by which the shared transport's threads say they are asleep, so that a writer posts a "wake"
// only to a reader that needs one (the rings themselves: `_ring.ts`).

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
