// Private: how a message of a run over NATS becomes bytes and back, with no client needed (so that every part is
// tested on random and truncated bytes without a server): the body (JSON with typed arrays laid out after it), the
// sealed envelope around each piece (authenticated with HMAC-SHA256, or encrypted with AES-256-GCM, under a key
// derived per run, per run instance and per sender from the run's secret), the replay guard, and the bounded
// reassembly of pieces. Anything that does not decode, open or fit throws a `WireError`, which the receiver counts
// and drops: no bytes are ever obeyed unless they were sealed with the run's key.

/** Bytes that are not a message of this run: the receiver drops them and counts them. */
export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WireError";
  }
}

const encoder = new TextEncoder(), decoder = new TextDecoder("utf-8", { fatal: true });
const pad4 = (n: number) => (n + 3) & ~3;

/**
 * A message as bytes: a 4-byte length, the JSON of `message` with each typed array replaced by `{ $a: index, t, n }`,
 * padding to 4, then each array's bytes (4-aligned), so that decoding makes views, not copies.
 */
export function encodeBody(message: unknown): Uint8Array {
  const arrays: (Float32Array | Uint8Array)[] = [];
  const json = JSON.stringify(message, (_key, v) => {
    if (v instanceof Float32Array || v instanceof Uint8Array) {
      arrays.push(v);
      return { $a: arrays.length - 1, t: v instanceof Float32Array ? "f" : "u", n: v.length };
    }
    return v;
  });
  const head = encoder.encode(json);
  let size = pad4(4 + head.length);
  const offsets = arrays.map((a) => {
    const at = size;
    size = pad4(size + a.byteLength);
    return at;
  });
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, head.length);
  out.set(head, 4);
  arrays.forEach((a, i) => out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offsets[i]!));
  return out;
}

/**
 * The message of `bytes` (`encodeBody`'s); its arrays are views of a copy of `bytes`. Every length, index and
 * offset is checked against the bytes there are.
 *
 * @throws {WireError} If the bytes are not such a message.
 */
export function decodeBody(bytes: Uint8Array): unknown {
  if (bytes.length < 4) throw new WireError(`a message of ${bytes.length} bytes is shorter than its length field`);
  const own = new Uint8Array(bytes.length); // a copy, 4-aligned (a view of a larger buffer may not be)
  own.set(bytes);
  const length = new DataView(own.buffer).getUint32(0);
  if (length > own.length - 4) throw new WireError(`the head says ${length} bytes, the message has ${own.length - 4}`);
  let text: string, parsed: unknown;
  try {
    text = decoder.decode(own.subarray(4, 4 + length));
    parsed = JSON.parse(text);
  } catch (error) {
    throw new WireError(`the head is not JSON: ${(error as Error).message.split("\n")[0]}`);
  }
  let at = pad4(4 + length), next = 0;
  const array = (v: Record<string, unknown>) => {
    const { $a: index, t, n } = v;
    if (index !== next++) throw new WireError(`array ${String(index)} where array ${next - 1} was expected`);
    if (t !== "f" && t !== "u") throw new WireError(`array ${index} has type ${JSON.stringify(t)}`);
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
      throw new WireError(`array ${index} has length ${JSON.stringify(n)}`);
    }
    const bytesOf = t === "f" ? 4 * n : n;
    if (at + bytesOf > own.length) {
      throw new WireError(`array ${index} (${bytesOf} bytes at ${at}) runs past the message's ${own.length} bytes`);
    }
    const a = t === "f" ? new Float32Array(own.buffer, at, n) : new Uint8Array(own.buffer, at, n);
    at = pad4(at + bytesOf);
    return a;
  };
  // Depth-first in key order, as JSON.stringify laid the arrays out; a depth limit against deeply nested junk.
  const walk = (v: unknown, depth: number): unknown => {
    if (v === null || typeof v !== "object") return v;
    if (depth > 32) throw new WireError("the head is nested more than 32 deep");
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) v[i] = walk(v[i], depth + 1);
      return v;
    }
    const o = v as Record<string, unknown>;
    if ("$a" in o) return array(o);
    for (const key of Object.keys(o)) o[key] = walk(o[key], depth + 1);
    return o;
  };
  return walk(parsed, 0);
}

// ---- the envelope ----

/** The first bytes of every piece: "DNI" and the format's version. */
const MAGIC = [0x44, 0x4e, 0x49, 0x01];
const ENCRYPTED = 1, MORE = 2;
/** Bytes before the body: magic (4), flags (1), reserved (1), sender (2), session (16), instance (8), seq (8), part (4), iv (12). */
export const HEADER_BYTES = 56;
const MAC_BYTES = 32, GCM_TAG_BYTES = 16;
/** The sender id of the coordinator (a stage's is its index). */
export const COORDINATOR = 0xffff;

/** What the envelope of a piece says (authenticated with the body). */
export interface Envelope {
  /** The coordinator (`COORDINATOR`) or a stage's index. */
  sender: number;
  /** The run instance (16 random bytes the coordinator chose), as hex. */
  session: string;
  /** The sending process (8 random bytes it chose), as hex. */
  instance: string;
  /** The sender's count of pieces sent: it only grows. */
  seq: number;
  /** The piece's index within its message. */
  part: number;
  /** Whether more pieces of the message follow. */
  more: boolean;
  encrypted: boolean;
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const unhex = (text: string) => new Uint8Array(text.match(/../g)?.map((h) => parseInt(h, 16)) ?? []);

/** `n` random bytes as hex (a session is 16, an instance 8). */
export function randomHex(n: number): string {
  return hex(crypto.getRandomValues(new Uint8Array(n)));
}

/** The envelope fields of `bytes`, unauthenticated (to pick the key); undefined if they are not a piece. */
export function peekEnvelope(bytes: Uint8Array): Envelope | undefined {
  if (bytes.length < HEADER_BYTES + GCM_TAG_BYTES) return undefined;
  if (MAGIC.some((b, i) => bytes[i] !== b)) return undefined;
  const flags = bytes[4]!;
  if ((flags & ~(ENCRYPTED | MORE)) !== 0 || bytes[5] !== 0) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const seq = view.getUint32(32) * 2 ** 32 + view.getUint32(36);
  if (!Number.isSafeInteger(seq)) return undefined;
  return {
    sender: view.getUint16(6),
    session: hex(bytes.subarray(8, 24)),
    instance: hex(bytes.subarray(24, 32)),
    seq,
    part: view.getUint32(40),
    more: (flags & MORE) !== 0,
    encrypted: (flags & ENCRYPTED) !== 0,
  };
}

/** A sender's keys: one to authenticate (HMAC-SHA256), one to encrypt (AES-256-GCM). */
export interface SenderKeys {
  mac: CryptoKey;
  enc: CryptoKey;
}

/**
 * The keys of a run: derived with HKDF-SHA256 from the run's secret, salted with the run instance (session) and
 * labelled with the run's name and the sender, so that no two senders, runs or run instances share a key, and a
 * message of one can never pass for another's.
 */
export class RunKeys {
  readonly run: string;
  readonly #secret: Promise<CryptoKey>;
  // Derived keys by session and sender; bounded (junk can name any session).
  readonly #cache = new Map<string, Promise<SenderKeys>>();

  /** @param secret The run's key (at least 32 bytes). @param run The run's name. */
  constructor(secret: Uint8Array, run: string) {
    if (secret.length < 32) throw new RangeError(`A run key must have at least 32 bytes, got ${secret.length}`);
    this.run = run;
    this.#secret = crypto.subtle.importKey("raw", secret as Uint8Array<ArrayBuffer>, "HKDF", false, [
      "deriveKey",
    ]);
  }

  /** The keys of `sender` in run instance `session` (hex). */
  keys(session: string, sender: number): Promise<SenderKeys> {
    const id = `${session}/${sender}`;
    let keys = this.#cache.get(id);
    if (keys === undefined) {
      if (this.#cache.size >= 64) this.#cache.delete(this.#cache.keys().next().value!);
      keys = this.#derive(session, sender);
      this.#cache.set(id, keys);
    }
    return keys;
  }

  async #derive(session: string, sender: number): Promise<SenderKeys> {
    const secret = await this.#secret;
    const derive = (use: string, algorithm: HmacImportParams | AesKeyAlgorithm, usages: KeyUsage[]) =>
      crypto.subtle.deriveKey(
        {
          name: "HKDF",
          hash: "SHA-256",
          salt: unhex(session),
          info: encoder.encode(`dni/v1/${this.run}/${sender}/${use}`),
        },
        secret,
        algorithm,
        false,
        usages,
      );
    const [mac, enc] = await Promise.all([
      derive("mac", { name: "HMAC", hash: "SHA-256", length: 256 }, ["sign", "verify"]),
      derive("enc", { name: "AES-GCM", length: 256 }, ["encrypt", "decrypt"]),
    ]);
    return { mac, enc };
  }
}

// What is authenticated besides the body: the subject (length first) and the header.
function associated(subject: string, header: Uint8Array): Uint8Array<ArrayBuffer> {
  const s = encoder.encode(subject);
  const out = new Uint8Array(2 + s.length + header.length);
  new DataView(out.buffer).setUint16(0, s.length);
  out.set(s, 2);
  out.set(header, 2 + s.length);
  return out;
}

/**
 * One piece, sealed for `subject`: the header, then the body and an HMAC-SHA256 tag over subject, header and body,
 * or (`encrypted`) the body encrypted with AES-256-GCM under a random IV, the subject and header authenticated with
 * it.
 */
export async function seal(
  keys: SenderKeys,
  subject: string,
  envelope: Omit<Envelope, "sender" | "session" | "instance"> & { sender: number; session: string; instance: string },
  body: Uint8Array,
): Promise<Uint8Array> {
  const header = new Uint8Array(HEADER_BYTES);
  header.set(MAGIC);
  header[4] = (envelope.encrypted ? ENCRYPTED : 0) | (envelope.more ? MORE : 0);
  const view = new DataView(header.buffer);
  view.setUint16(6, envelope.sender);
  header.set(unhex(envelope.session), 8);
  header.set(unhex(envelope.instance), 24);
  view.setUint32(32, Math.floor(envelope.seq / 2 ** 32));
  view.setUint32(36, envelope.seq >>> 0);
  view.setUint32(40, envelope.part);
  if (envelope.encrypted) {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    header.set(iv, 44);
    const sealed = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: associated(subject, header) },
        keys.enc,
        body as Uint8Array<ArrayBuffer>,
      ),
    );
    const out = new Uint8Array(HEADER_BYTES + sealed.length);
    out.set(header);
    out.set(sealed, HEADER_BYTES);
    return out;
  }
  const out = new Uint8Array(HEADER_BYTES + body.length + MAC_BYTES);
  out.set(header);
  out.set(body, HEADER_BYTES);
  const signed = new Uint8Array(await crypto.subtle.sign("HMAC", keys.mac, macInput(subject, out, body.length)));
  out.set(signed, HEADER_BYTES + body.length);
  return out;
}

function macInput(subject: string, piece: Uint8Array, bodyLength: number): Uint8Array<ArrayBuffer> {
  const a = associated(subject, piece.subarray(0, HEADER_BYTES));
  const out = new Uint8Array(a.length + bodyLength);
  out.set(a);
  out.set(piece.subarray(HEADER_BYTES, HEADER_BYTES + bodyLength), a.length);
  return out;
}

/**
 * The envelope and body (a copy of its own) of a piece sealed for `subject` with `keys` (the keys of the sender its
 * header names).
 *
 * @throws {WireError} If it is not a piece, or it fails authentication (another key, another subject, altered bytes).
 */
export async function open(
  keys: SenderKeys,
  subject: string,
  bytes: Uint8Array,
): Promise<{ envelope: Envelope; body: Uint8Array }> {
  const envelope = peekEnvelope(bytes);
  if (envelope === undefined) throw new WireError(`${bytes.length} bytes that are not a sealed piece`);
  const header = bytes.subarray(0, HEADER_BYTES);
  if (envelope.encrypted) {
    try {
      const body = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: bytes.slice(44, 56), additionalData: associated(subject, header) },
        keys.enc,
        bytes.slice(HEADER_BYTES),
      );
      return { envelope, body: new Uint8Array(body) };
    } catch {
      throw new WireError("a piece that fails authentication (AES-GCM)");
    }
  }
  if (bytes.length < HEADER_BYTES + MAC_BYTES) throw new WireError("a piece too short for its tag");
  const bodyLength = bytes.length - HEADER_BYTES - MAC_BYTES;
  const ok = await crypto.subtle.verify(
    "HMAC",
    keys.mac,
    bytes.slice(HEADER_BYTES + bodyLength),
    macInput(subject, bytes, bodyLength),
  );
  if (!ok) throw new WireError("a piece that fails authentication (HMAC-SHA256)");
  return { envelope, body: bytes.slice(HEADER_BYTES, HEADER_BYTES + bodyLength) };
}

// ---- replays ----

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

// ---- pieces ----

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
