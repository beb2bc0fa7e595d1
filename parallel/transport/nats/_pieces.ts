// Private: what a receiver of a run over NATS keeps between pieces: the last sequence number of each sender (against
// replays) and the pieces of messages not yet whole (within limits).
import { WireError } from "./_body.ts";
import type { Envelope } from "./_wire.ts";

/**
 * Remembers the last sequence number seen per sender, process and subject: a piece must come with a higher one, so
 * a recorded piece played again is dropped. A sender's numbers grow across all its subjects, so on each subject they
 * only grow too.
 */
export class ReplayGuard {
  readonly #last = new Map<string, number>();

  /**
   * Whether `e` on `subject` could be new (its number is above the last seen), without remembering it: a check
   * before the piece is opened, so that a recorded piece played again costs no cryptography.
   */
  mayBeFresh(e: Envelope, subject: string): boolean {
    return e.seq > (this.#last.get(`${e.session}/${e.sender}/${e.instance}/${subject}`) ?? 0);
  }

  /** Whether `e` on `subject` is new; if so it becomes the last seen (call once the piece is opened). */
  fresh(e: Envelope, subject: string): boolean {
    const id = `${e.session}/${e.sender}/${e.instance}/${subject}`;
    const last = this.#last.get(id) ?? 0;
    if (e.seq <= last) return false;
    if (!this.#last.has(id) && this.#last.size >= 4096) this.#last.delete(this.#last.keys().next().value!);
    this.#last.set(id, e.seq);
    return true;
  }
}

/** Limits on pieces waiting for the rest of their message. */
export interface PieceLimits {
  /** The most bytes one message may have. @default {512 MiB} */
  messageBytes?: number;
  /** The most bytes waiting in all. @default {1 GiB} */
  totalBytes?: number;
  /** How long a message's pieces may wait for the next one (ms). @default {30000} */
  ageMs?: number;
}

/**
 * Puts pieces back together per sender, process and subject (a sender's pieces of one message follow each other on
 * its subject), within limits: a message over `messageBytes`, pieces over `totalBytes` in all, a piece out of order,
 * or a message whose next piece is `ageMs` late is dropped (a `WireError` for the piece that shows it).
 */
export class Reassembly {
  readonly #open = new Map<string, { parts: Uint8Array[]; bytes: number; at: number }>();
  readonly #limits: Required<PieceLimits>;
  #total = 0;

  constructor(limits: PieceLimits = {}) {
    this.#limits = { messageBytes: 512 * 2 ** 20, totalBytes: 2 ** 30, ageMs: 30_000, ...limits };
  }

  /** Bytes waiting now. */
  get waiting(): number {
    return this.#total;
  }

  /**
   * Takes one opened piece; returns the whole message once its last piece has come.
   *
   * @throws {WireError} If the piece breaks a limit or comes out of order (its message is dropped).
   */
  add(e: Envelope, subject: string, body: Uint8Array, now = performance.now()): Uint8Array | undefined {
    this.#expire(now);
    const id = `${e.session}/${e.sender}/${e.instance}/${subject}`;
    const open = this.#open.get(id);
    const expected = open?.parts.length ?? 0;
    if (e.part !== expected) {
      this.#drop(id);
      throw new WireError(`piece ${e.part} where piece ${expected} was expected`);
    }
    if (!e.more && open === undefined) return body;
    const entry = open ?? { parts: [], bytes: 0, at: now };
    if (entry.bytes + body.length > this.#limits.messageBytes) {
      this.#drop(id);
      throw new WireError(`a message of more than ${this.#limits.messageBytes} bytes`);
    }
    if (this.#total + body.length > this.#limits.totalBytes) {
      this.#drop(id);
      throw new WireError(`pieces waiting would exceed ${this.#limits.totalBytes} bytes`);
    }
    entry.parts.push(body);
    entry.bytes += body.length;
    entry.at = now;
    this.#total += body.length;
    this.#open.set(id, entry);
    if (e.more) return undefined;
    this.#drop(id);
    const whole = new Uint8Array(entry.bytes);
    let at = 0;
    for (const p of entry.parts) whole.set(p, (at += p.length) - p.length);
    return whole;
  }

  #expire(now: number): void {
    for (const [id, entry] of this.#open) if (now - entry.at > this.#limits.ageMs) this.#drop(id);
  }

  #drop(id: string): void {
    const entry = this.#open.get(id);
    if (entry === undefined) return;
    this.#total -= entry.bytes;
    this.#open.delete(id);
  }
}
