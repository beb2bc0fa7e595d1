// deno-lint-ignore-file no-import-prefix -- like deps.ts: an explicit, version-pinned npm: specifier.
// Private: the NATS client (npm:@nats-io/transport-node), loaded only by the NATS transport: connecting from a URL
// that may carry credentials, with a CA file of one's own, replies under the run's subjects, and no call that waits
// forever. How a message becomes sealed bytes is `_wire.ts`'s; sending and hearing them `_link.ts`'s.
import { connect, type Msg, type NatsConnection, type Subscription } from "npm:@nats-io/transport-node@3.4.0";

import process from "node:process";
import { NatsError, redact } from "./_names.ts";
import { readRegularTextFile } from "../../../_files.ts";

export type { Msg, NatsConnection, Subscription };
/** The client's own connect, for tests that play a stranger on the server. */
export { connect };

/** The most bytes a CA certificate file (`--nats-ca`) may have: 1 MiB. */
const MAX_CA_FILE_BYTES = 1024 * 1024;

/**
 * Connects to the NATS server of `url` (`nats://[user:password@ | token@]host:port`, `tls://` for TLS). A lost
 * connection is not retried: it ends the run. `ca` is a PEM file of the certificate authority (or the self-signed
 * certificate) that the server's TLS certificate is checked against, instead of the system's roots. `inbox` is the
 * prefix of the subjects that replies to its requests come on (under the run's subjects, so that one permission on
 * `dni.RUN.>` covers them).
 *
 * @throws {Error} One line naming the URL (password hidden) and the problem.
 */
export async function connectNats(
  url: string,
  name: string,
  ca?: string,
  inbox?: string,
): Promise<NatsConnection> {
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
      ...(inbox === undefined ? {} : { inboxPrefix: inbox }),
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
