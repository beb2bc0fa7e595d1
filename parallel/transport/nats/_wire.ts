// Private: how a message of a run over NATS becomes bytes and back, with no client needed (so that every part is
// tested on random and truncated bytes without a server): the body (`_body.ts`), the
// sealed envelope around each piece (authenticated with HMAC-SHA256, or encrypted with AES-256-GCM, under a key
// derived per run, per run instance and per sender from the run's secret), the replay guard, and the bounded
// reassembly of pieces. Anything that does not decode, open or fit throws a `WireError`, which the receiver counts
// and drops: no bytes are ever obeyed unless they were sealed with the run's key.

import { WireError } from "./_body.ts";
import { fromHex, toHex } from "./_run_key.ts";

export { decodeBody, encodeBody, WireError } from "./_body.ts";
export { type PieceLimits, Reassembly, ReplayGuard } from "./_pieces.ts";

const encoder = new TextEncoder();

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

const hex = toHex, unhex = fromHex;

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
