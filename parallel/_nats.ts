// deno-lint-ignore-file no-import-prefix -- like deps.ts: an explicit, version-pinned npm: specifier.
// Private: the NATS client (npm:@nats-io/transport-node), loaded only by the NATS transport: connecting from a URL
// that may carry credentials, the subjects of a run, and how a message (JSON with typed arrays) becomes bytes.
import { connect, type Msg, type NatsConnection } from "npm:@nats-io/transport-node@3.4.0";

import process from "node:process";
import { NatsError, redact } from "./_nats_names.ts";
import { readRegularTextFile } from "../_files.ts";

export type { Msg, NatsConnection };

/** The most bytes a CA certificate file (`--nats-ca`) may have: 1 MiB. */
const MAX_CA_FILE_BYTES = 1024 * 1024;

/**
 * Connects to the NATS server of `url` (`nats://[user:password@ | token@]host:port`, `tls://` for TLS). A lost
 * connection is not retried: it ends the run. `ca` is a PEM file of the certificate authority (or the self-signed
 * certificate) that the server's TLS certificate is checked against, instead of the system's roots.
 *
 * @throws {Error} One line naming the URL (password hidden) and the problem.
 */
export async function connectNats(url: string, name: string, ca?: string): Promise<NatsConnection> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RangeError(`Cannot connect to NATS: ${JSON.stringify(redact(url))} is not a URL (nats://host:4222)`);
  }
  if (!["nats:", "tls:"].includes(u.protocol)) {
    throw new RangeError(`Cannot connect to NATS ${redact(url)}: the URL must start with nats:// or tls://`);
  }
  const user = decodeURIComponent(u.username), pass = decodeURIComponent(u.password);
  const auth = pass ? { user, pass } : user ? { token: user } : {};
  const pem = ca === undefined ? undefined : await readCa(url, ca);
  // The client upgrades to TLS (`tls://`, or a server that requires it) with node:tls on the socket it opened, and
  // names no host, so node checks the certificate against "localhost": `host` makes it check the URL's host (an IP
  // address against the certificate's IP names). Deno's DENO_CERT and --cert do not reach node:tls; `ca` does.
  const tls = pem !== undefined || u.protocol === "tls:"
    ? { tls: { host: u.hostname.replace(/^\[|\]$/g, ""), ...(pem === undefined ? {} : { ca: pem }) } }
    : {};
  const release = holdResetGuard();
  try {
    const nc = await connect({
      servers: `${u.protocol}//${u.host}`,
      name,
      reconnect: false,
      timeout: 5000,
      ...auth,
      ...tls,
    });
    nc.closed().then(release, release);
    return nc;
  } catch (error) {
    release();
    const message = (error as Error).message;
    const hint = !/certificate|altnames/i.test(message)
      ? ""
      : pem === undefined
      ? " (to trust a self-signed certificate or one of your own CA, give its PEM file: --nats-ca FILE, " +
        "DNI_NATS_CA, or nats.ca of pipeline())"
      : ` (checked against the CA file ${JSON.stringify(ca)})`;
    throw new NatsError(`Cannot connect to NATS ${redact(url)}: ${message}${hint}`);
  }
}

// The PEM text of the CA file `path`: a regular file of at most 1 MiB (a FIFO or device is refused unopened) that
// holds a certificate.
async function readCa(url: string, path: string): Promise<string> {
  const fail = (problem: string) =>
    new NatsError(`Cannot connect to NATS ${redact(url)}: the CA file ${JSON.stringify(path)} ${problem}`);
  if (typeof path !== "string" || path === "") throw fail("must be a path to a PEM file");
  const text = await readRegularTextFile(path, {
    what: "a CA certificate file",
    maxBytes: MAX_CA_FILE_BYTES,
    fail: (problem) => fail(problem),
  });
  if (!text.includes("-----BEGIN CERTIFICATE-----")) {
    throw fail("holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  }
  return text;
}

// The client's node socket can report the server's reset ("read ECONNRESET") as an uncaught error: after a refused
// connection (a wrong password: the server closes it) or when the server goes away mid-run. The client reports both
// itself (the connect() rejection, the connection's closed()), and the run ends with a one-line error; the raw
// reset must not also end the process with a stack trace. So while a NATS connection is open, and for a few seconds
// after the last one closes, uncaught ECONNRESET errors (and only those) are absorbed. Process-wide by nature (uncaught
// errors are), hence the count of holders.
let guards = 0;
function absorbReset(e: ErrorEvent): void {
  const error = e.error as { code?: string; message?: string } | undefined;
  if (error?.code === "ECONNRESET" || /ECONNRESET/.test(error?.message ?? e.message)) e.preventDefault();
}
function absorbNodeReset(error: unknown): void {
  const e = error as { code?: string; message?: string } | undefined;
  if (!(e?.code === "ECONNRESET" || /ECONNRESET/.test(e?.message ?? ""))) throw error;
}
function holdResetGuard(): () => void {
  if (guards++ === 0) {
    globalThis.addEventListener("error", absorbReset);
    process.on("uncaughtException", absorbNodeReset);
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    Deno.unrefTimer(setTimeout(() => {
      if (--guards === 0) {
        globalThis.removeEventListener("error", absorbReset);
        process.off("uncaughtException", absorbNodeReset);
      }
    }, 3000));
  };
}

const encoder = new TextEncoder(), decoder = new TextDecoder();

/**
 * A message as bytes: a 4-byte length, the JSON of `{ run, m }` with each typed array replaced by `{ $a: index,
 * t }`, padding to 4, then each array's bytes (4-aligned), so that decoding makes views, not copies.
 */
export function encode(run: string, message: unknown): Uint8Array {
  const arrays: (Float32Array | Uint8Array)[] = [];
  const json = JSON.stringify({ run, m: message }, (_key, v) => {
    if (v instanceof Float32Array || v instanceof Uint8Array) {
      arrays.push(v);
      return { $a: arrays.length - 1, t: v instanceof Float32Array ? "f" : "u", n: v.length };
    }
    return v;
  });
  const head = encoder.encode(json);
  const pad = (n: number) => (n + 3) & ~3;
  let size = pad(4 + head.length);
  const offsets = arrays.map((a) => {
    const at = size;
    size = pad(size + a.byteLength);
    return at;
  });
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, head.length);
  out.set(head, 4);
  arrays.forEach((a, i) => out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offsets[i]!));
  return out;
}

/** The run and message of `bytes` (`encode`'s); its arrays are views of a copy of `bytes`. */
export function decode(bytes: Uint8Array): { run: string; m: unknown } {
  const own = new Uint8Array(bytes.length); // a copy, 4-aligned (a Buffer's slice() would be a view of its pool)
  own.set(bytes);
  const length = new DataView(own.buffer).getUint32(0);
  let at = (4 + length + 3) & ~3;
  return JSON.parse(decoder.decode(own.subarray(4, 4 + length)), (_key, v) => {
    if (v === null || typeof v !== "object" || !("$a" in v)) return v;
    const array = v.t === "f" ? new Float32Array(own.buffer, at, v.n) : new Uint8Array(own.buffer, at, v.n);
    at = (at + array.byteLength + 3) & ~3;
    return array;
  });
}

/**
 * Publishes `bytes` to `subject` in pieces of at most the server's payload limit: each piece starts with the
 * sender's id (2 bytes) and whether more pieces follow (1 byte). Returns the bytes published.
 */
export function publishPieces(nc: NatsConnection, subject: string, sender: number, bytes: Uint8Array): number {
  const room = Math.max(1024, (nc.info?.max_payload ?? 1 << 20) - 1024);
  let sent = 0;
  for (let at = 0; at < bytes.length || at === 0; at += room) {
    const part = bytes.subarray(at, at + room);
    const piece = new Uint8Array(3 + part.length);
    new DataView(piece.buffer).setUint16(0, sender);
    piece[2] = at + room < bytes.length ? 1 : 0;
    piece.set(part, 3);
    nc.publish(subject, piece);
    sent += piece.length;
    if (bytes.length === 0) break;
  }
  return sent;
}

/** Puts pieces (`publishPieces`) back together, per sender (a publisher's pieces on a subject stay in order). */
export class Pieces {
  readonly #open = new Map<number, Uint8Array[]>();

  /** Takes one piece; returns the whole message once its last piece has come. */
  add(piece: Uint8Array): Uint8Array | undefined {
    const sender = (piece[0]! << 8) | piece[1]!, more = piece[2] === 1, part = piece.subarray(3);
    const parts = this.#open.get(sender) ?? [];
    parts.push(part);
    if (more) {
      this.#open.set(sender, parts);
      return undefined;
    }
    this.#open.delete(sender);
    if (parts.length === 1) return parts[0];
    const whole = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) whole.set(p, (at += p.length) - p.length);
    return whole;
  }
}
