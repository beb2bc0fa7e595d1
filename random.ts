/**
 * A small seeded pseudo-random generator (mulberry32), so that weight initialisation and data order depend only
 * on the seed, on every backend.
 *
 * @module
 */

/** A seeded source of random numbers. Each instance has its own state: no global randomness. */
export class Random {
  #state: number;

  /**
   * Makes a generator whose sequence depends only on `seed`.
   *
   * @param seed Any integer; the same seed gives the same sequence.
   */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`Random seed must be a finite number, got ${seed}`);
    this.#state = Math.trunc(seed) >>> 0;
  }

  /** A uniform number in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A standard normal sample (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /**
   * The generator's whole state, an integer in [0, 2^32): setting it back (or `new Random(state)`) continues the
   * same sequence. For checkpoints.
   */
  get state(): number {
    return this.#state;
  }

  set state(value: number) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new RangeError(`Random state must be an integer in [0, 2^32), got ${value}`);
    }
    this.#state = value;
  }

  /** A new generator whose seed is drawn from this one (for independent streams). */
  fork(): Random {
    return new Random(Math.floor(this.next() * 4294967296));
  }
}
