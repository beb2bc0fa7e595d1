// Private: a process's sealed link to the other processes of its run over a NATS connection: every message it sends
// is encoded, cut into pieces of at most the server's payload limit and sealed (`_wire.ts`) in the order it was
// sent; every piece it hears is opened, checked against the replay guard and the sender its subject expects, put
// back together within limits and decoded, in the order it came, before its handler sees it. What fails any of
// that is dropped and counted, with one warning line per kind of failure: a stranger's bytes are never obeyed, and
// no bytes can crash the process or stop it hearing the next message.
import type { Msg, NatsConnection, Subscription } from "./_client.ts";
import {
  decodeBody,
  encodeBody,
  type Envelope,
  HEADER_BYTES,
  open,
  peekEnvelope,
  randomHex,
  Reassembly,
  ReplayGuard,
  type RunKeys,
  seal,
  WireError,
} from "./_wire.ts";

/** Room left in a NATS message for the subject, the envelope and the tag. */
const ROOM_FOR_ENVELOPE = HEADER_BYTES + 32 + 1024;

/** Who may send on a subject: a sender id and, once known, its process (instance); false drops the piece. */
export type Accept = (e: Envelope, subject: string) => boolean;

/** `ms` milliseconds, unreferenced (they never keep the process alive). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => Deno.unrefTimer(setTimeout(resolve, ms)));
}

/** `p`, or undefined once `ms` have passed. */
export function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([p, delay(ms).then(() => undefined)]);
}

/** One process's sealed messages over `nc`. */
export class SealedLink {
  readonly nc: NatsConnection;
  readonly keys: RunKeys;
  /** This process, among the senders of the run (8 random bytes, hex). */
  readonly instance: string = randomHex(8);
  /** The run instance (hex); undefined while a stage process waits to be claimed (then any session may claim it). */
  session: string | undefined;
  /** This process's sender id: the coordinator's (`COORDINATOR`) or its stage index. */
  sender: number;
  /** Whether to encrypt what it sends (else authenticate only). */
  encrypt: boolean;
  /** Bytes published (sealed). */
  bytes = 0;
  /** Pieces dropped, and why (the first of each kind was warned about). */
  dropped = 0;
  readonly #why = new Map<string, number>();
  readonly #warn: (line: string) => void;
  readonly #who: string;
  readonly #guard = new ReplayGuard();
  readonly #pieces = new Reassembly();
  #seq = 0;
  #sending: Promise<unknown> = Promise.resolve();
  #receiving: Promise<unknown> = Promise.resolve();

  constructor(
    nc: NatsConnection,
    keys: RunKeys,
    options: { session?: string; sender: number; encrypt: boolean; who: string; warn: (line: string) => void },
  ) {
    this.nc = nc;
    this.keys = keys;
    this.session = options.session;
    this.sender = options.sender;
    this.encrypt = options.encrypt;
    this.#who = options.who;
    this.#warn = options.warn;
  }

  #envelope(part: number, more: boolean) {
    if (this.session === undefined) throw new Error("a sealed link sends only once it belongs to a run instance");
    return {
      sender: this.sender,
      session: this.session,
      instance: this.instance,
      seq: ++this.#seq,
      part,
      more,
      encrypted: this.encrypt,
    };
  }

  /**
   * Sends `message` on `subject`: encoded and sealed in pieces, published after everything sent before it. Returns
   * the bytes of its body.
   */
  send(subject: string, message: unknown): number {
    const body = encodeBody(message);
    const room = Math.max(1024, (this.nc.info?.max_payload ?? 1 << 20) - ROOM_FOR_ENVELOPE);
    const count = Math.max(1, Math.ceil(body.length / room));
    const keys = this.keys.keys(this.session!, this.sender);
    const pieces = Array.from({ length: count }, (_, i) => ({
      e: this.#envelope(i, i < count - 1),
      part: body.subarray(i * room, (i + 1) * room),
    }));
    // Sealing is asynchronous (Web Crypto): the chain keeps the publishing order the calling order.
    this.#sending = this.#sending.then(async () => {
      const k = await keys;
      for (const { e, part } of pieces) {
        const sealed = await seal(k, subject, e, part);
        try {
          this.nc.publish(subject, sealed);
          this.bytes += sealed.length;
        } catch { /* closed: the connection's closed() says so */ }
      }
    }).catch((error) => this.#drop("send", `could not seal a message: ${(error as Error).message}`));
    return body.length;
  }

  /** `message` sealed as one piece for `subject` (for a request or its reply). */
  async sealOne(subject: string, message: unknown): Promise<Uint8Array> {
    const body = encodeBody(message);
    return await seal(await this.keys.keys(this.session!, this.sender), subject, this.#envelope(0, false), body);
  }

  /**
   * The message of the one-piece `bytes` heard on `subject`, if they are sealed by a sender `accept` takes (any
   * session, when this link has none yet), fresh, and decode; else undefined (counted and warned about as `what`).
   */
  async openOne(subject: string, bytes: Uint8Array, accept: Accept, what: string) {
    try {
      const e = this.#check(subject, bytes, accept);
      if (e.more || e.part !== 0) throw new WireError("a piece of a longer message");
      const r = await this.#open(subject, bytes);
      return { envelope: r.envelope, message: decodeBody(r.body) };
    } catch (error) {
      this.#drop(what, (error as Error).message);
      return undefined;
    }
  }

  // What can be checked without cryptography, at once (a flood of junk must cost little): a piece's envelope, its
  // run instance, its sender, and that its number is above the last seen from it.
  #check(subject: string, bytes: Uint8Array, accept: Accept): Envelope {
    const e = peekEnvelope(bytes);
    if (e === undefined) throw new WireError(`${bytes.length} bytes that are not a sealed piece of a run`);
    if (this.session !== undefined && e.session !== this.session) {
      throw new WireError("a piece of another run instance");
    }
    if (!accept(e, subject)) throw new WireError(`a piece from a sender not expected here (sender ${e.sender})`);
    if (!this.#guard.mayBeFresh(e, subject)) throw new WireError("a piece played again (an old sequence)");
    return e;
  }

  async #open(subject: string, bytes: Uint8Array) {
    const e = peekEnvelope(bytes)!;
    const opened = await open(await this.keys.keys(e.session, e.sender), subject, bytes);
    if (!this.#guard.fresh(opened.envelope, subject)) throw new WireError("a piece played again (an old sequence)");
    return opened;
  }

  /**
   * Hears `subject` (wildcards allowed): each whole message from a sender `accept` takes is decoded and handed to
   * `handle`, in the order the pieces came; anything else is dropped and counted.
   */
  listen(
    subject: string,
    accept: Accept,
    handle: (message: unknown, e: Envelope, subject: string) => void,
    options: { queue?: string } = {},
  ): Subscription {
    return this.nc.subscribe(subject, {
      ...options,
      callback: (_error, msg: Msg) => {
        const data = msg.data;
        try {
          this.#check(msg.subject, data, accept);
        } catch (error) {
          return this.#drop(msg.subject, (error as Error).message);
        }
        this.#receiving = this.#receiving.then(async () => {
          try {
            const { envelope, body } = await this.#open(msg.subject, data);
            const whole = this.#pieces.add(envelope, msg.subject, body);
            if (whole === undefined) return;
            const message = decodeBody(whole);
            try {
              handle(message, envelope, msg.subject);
            } catch (error) {
              this.#drop(msg.subject, `its handler threw: ${(error as Error).message}`);
            }
          } catch (error) {
            this.#drop(msg.subject, (error as Error).message);
          }
        });
      },
    });
  }

  #drop(subject: string, why: string): void {
    this.dropped++;
    const kind = why.replace(/\d+/g, "N");
    const seen = this.#why.get(kind) ?? 0;
    this.#why.set(kind, seen + 1);
    if (seen === 0) {
      this.#warn(
        `${this.#who}: dropped a message on ${subject}: ${why} (${this.dropped} dropped so far; a client without ` +
          `this run's key, or bytes not of this run; the next of this kind are counted, not shown)`,
      );
    }
  }

  /** Waits (at most `ms`) until what was sent is published and the server has it. */
  async settle(ms: number): Promise<void> {
    const deadline = performance.now() + ms;
    await within(this.#sending, ms);
    if (this.nc.isClosed()) return;
    await within(this.nc.flush().catch(() => {}), Math.max(1, deadline - performance.now()));
  }

  /** Closes the connection, waiting at most `ms` for it (a frozen server never answers). */
  async close(ms: number): Promise<void> {
    if (this.nc.isClosed()) return;
    await within(this.nc.close().catch(() => {}), ms);
  }
}
