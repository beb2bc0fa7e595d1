/**
 * A pipeline stage as a process of its own, on any host, reached over a NATS server (`deno task stage`): it waits
 * for a coordinator of run `run` (`pipeline({ transport: "nats" })`, `deno task train --nats`) to claim it, then
 * runs the same stage loop as a Worker does (`../../stage/_loop.ts`): activations forward and messages back over the
 * subjects of the run, results and weights to the coordinator. Every message is sealed with keys derived from the
 * run's key (authenticated, and encrypted unless the coordinator turned that off): a client of the server without
 * the key can neither claim the process nor feed, read or stop it; what fails is dropped and counted. It imports no
 * code from the wire: only the plugin modules its own command line names. It beats every second so that the
 * coordinator notices within seconds when it dies or loses the server, and it serves one run: it returns when the
 * coordinator ends the run, and fails when the coordinator goes silent or the server is lost.
 *
 * Subjects (`RUN` the run's name; see `subjects` in `_names.ts`): it hears `dni.RUN.ctl.join` (in the queue
 * group "stages"), `dni.RUN.ctl.stage.K`, `dni.RUN.ctl.alive`, `dni.RUN.ctl.end`, `dni.RUN.fwd.K`, `dni.RUN.back.K`,
 * and says `dni.RUN.fwd.K+1`, `dni.RUN.back.K-1`, `dni.RUN.report.K`, `dni.RUN.beat.K`.
 *
 * @module
 */
import { connectNats, type Subscription } from "./_client.ts";
import { checkRunName, redact, subjects } from "./_names.ts";
import { type Accept, delay, SealedLink } from "./_link.ts";
import { COORDINATOR, type Envelope, RunKeys } from "./_wire.ts";
import type { FromStage, ToStage } from "../../protocol.ts";
import type { StagePort } from "../../stage/_links.ts";
import { nats } from "./_nats.ts";
import { stageLoop } from "../../stage/_loop.ts";
import { holdOneBlasThread } from "../../_blas_threads.ts";
import { StagePlugins } from "./_stage_plugins.ts";

/** Seconds between a stage process's beats, and the coordinator's. */
export const BEAT_SECONDS = 1;
/** Seconds without a beat after which a stage process (or the coordinator) counts as gone. */
export const SILENT_SECONDS = 5;
/** Seconds a training stage process waits for a word from its coordinator before it gives up. */
const COORDINATOR_SILENT_SECONDS = 60;
/** Seconds a claimed stage process waits for its init before it waits to be claimed again. */
const INIT_SECONDS = 20;
/** How far a claim's clock may be from this host's (ms): an older claim is one played again. */
const CLAIM_FRESH_MS = 120_000;

/** Options of `serveStage`. */
export interface StageServeOptions {
  /** The NATS server, e.g. `nats://user:password@host:4222`. */
  url: string;
  /** The run's name (letters, digits, `_`, `-`); only a coordinator of this run can claim the stage. */
  run: string;
  /** The run's key (at least 32 bytes): only a coordinator with the same key can claim the stage. */
  key: Uint8Array;
  /** The plugin modules (paths or URLs) this process may run; it imports them at its start. @default {[]} */
  plugins?: readonly string[];
  /**
   * A PEM file of the certificate authority (or the self-signed certificate) that the server's TLS certificate is
   * checked against, instead of the system's roots.
   */
  ca?: string;
  /** Where progress lines go. @default {() => {}} */
  log?: (line: string) => void;
  /** Where warnings go (messages dropped, a plugin refused). @default {console.warn} */
  warn?: (line: string) => void;
}

/**
 * Serves one stage of run `run`: waits to be claimed, trains, and resolves when the coordinator ends the run.
 *
 * @throws {Error} If a plugin cannot be loaded, the server cannot be reached (the message names the URL, never the
 *   password), the server is lost, or the coordinator goes silent.
 */
export async function serveStage(options: StageServeOptions): Promise<void> {
  const { url, log = () => {}, warn = (line: string) => console.warn(line) } = options;
  const run = checkRunName(options.run);
  const s = subjects(run);
  const keys = new RunKeys(options.key, run);
  const plugins = await StagePlugins.load(options.plugins ?? []);
  const nc = await connectNats(url, `dni stage ${run}`, options.ca, s.inbox);
  await narrowPermissions();
  const link = new SealedLink(nc, keys, {
    sender: 0,
    encrypt: true,
    who: `stage process ${Deno.pid} of run "${run}"`,
    warn,
  });
  const release = holdOneBlasThread();
  const lost = nc.closed().then((error) => {
    throw new Error(`A stage of run "${run}" lost the NATS server ${redact(url)}${error ? `: ${error}` : ""}`);
  });
  lost.catch(() => {});
  try {
    log(`stage process ${Deno.pid}: waiting for run "${run}" on ${redact(url)}`);
    const seen = new Map<string, number>(); // the claims' nonces, against a claim played again
    for (;;) {
      const claim = await Promise.race([claimed(link, s.join, seen), lost]);
      log(`stage process ${Deno.pid}: claimed as stage ${claim.index}`);
      if (await serveClaim(link, claim, plugins, warn, lost)) break;
      link.session = undefined;
      log(`stage process ${Deno.pid}: no init came within ${INIT_SECONDS} s of the claim; waiting again`);
    }
    log(`stage process ${Deno.pid}: run "${run}" ended`);
  } finally {
    release();
    await link.settle(2000);
    await link.close(2000);
  }
}

/** A claim this process took: its stage, the run instance, and the coordinator process. */
interface Claim {
  index: number;
  coordinator: string;
  /** Answers the claim (once the stage hears its subjects). */
  respond: () => void;
}

// Serves the stage it was claimed for; false if no init came in time (the claim was played again, or its
// coordinator gave up), so the process may be claimed again.
async function serveClaim(
  link: SealedLink,
  claim: Claim,
  plugins: StagePlugins,
  warn: (line: string) => void,
  lost: Promise<never>,
): Promise<boolean> {
  const s = subjects(link.keys.run), index = claim.index;
  let instances: string[] | undefined;
  const from = (sender: number, instance: () => string | undefined): Accept => (e: Envelope) =>
    e.sender === sender && e.instance === instance();
  const coordinator = from(COORDINATOR, () => claim.coordinator);
  const neighbour = (k: number) => from(k, () => instances?.[k]);
  const subscriptions: Subscription[] = [];
  const timers: ReturnType<typeof setInterval>[] = [];
  let heard = performance.now(), initialized = false;
  let clock: { bytes: number } = { bytes: 0 };
  const send = (subject: string, m: unknown) => void (clock.bytes += link.send(subject, m));
  const port = (subject: string): StagePort => ({ postMessage: (m) => send(subject, m) });
  let pluginIds: { url: string; sha256: string }[] = [];
  const deliver = stageLoop(
    (m: FromStage) => send(s.report(index), m),
    (init, place) => {
      clock = place.clock;
      return nats.links(init, {
        ...place,
        down: index > 0 ? port(s.back(index - 1)) : undefined,
        up: port(s.forward(index + 1)),
      });
    },
    {
      warn,
      registries: () => {
        try {
          return Promise.resolve(plugins.registriesFor(pluginIds));
        } catch (error) {
          warn(`stage process ${Deno.pid}: ${(error as Error).message}`); // said here too, and to the coordinator
          return Promise.reject(error);
        }
      },
    },
  );
  let initSeen: () => void = () => {};
  const init = new Promise<void>((resolve) => initSeen = resolve);
  const ended = new Promise<void>((resolve) => {
    subscriptions.push(
      link.listen(s.control(index), coordinator, (m) => {
        const message = m as ToStage;
        if (message?.kind === "init") {
          if (initialized) return;
          const i = message as Extract<ToStage, { kind: "init" }>;
          if (!Array.isArray(i.instances) || i.index !== index) return;
          instances = i.instances.map(String);
          pluginIds = Array.isArray(i.pluginIds) ? i.pluginIds : [];
          initialized = true;
          heard = performance.now();
          initSeen();
        }
        deliver(message);
      }),
      link.listen(s.forward(index), index === 0 ? coordinator : neighbour(index - 1), (m) => deliver(m as ToStage)),
      link.listen(s.back(index), neighbour(index + 1), (m) => deliver(m as ToStage)),
      link.listen(s.alive, coordinator, () => void (heard = performance.now())),
      link.listen(s.end, coordinator, () => resolve()),
    );
  });
  try {
    // The subscriptions reach the server before the claim is answered, so that the init cannot come first.
    await link.settle(5000);
    claim.respond();
    if (await Promise.race([init.then(() => true), delay(INIT_SECONDS * 1000).then(() => false), lost]) === false) {
      return false;
    }
    timers.push(setInterval(() => link.send(s.beat(index), { kind: "beat" }), BEAT_SECONDS * 1000));
    const silent = new Promise<never>((_, reject) => {
      timers.push(setInterval(() => {
        if (performance.now() - heard > COORDINATOR_SILENT_SECONDS * 1000) {
          reject(
            new Error(`Stage ${index} of run "${link.keys.run}": no word from the coordinator for 60 s; giving up`),
          );
        }
      }, 1000));
    });
    await Promise.race([ended, silent, lost]);
    return true;
  } finally {
    for (const t of timers) clearInterval(t);
    for (const sub of subscriptions) sub.unsubscribe();
  }
}

// Waits in the queue group of `join` until a coordinator with the run's key claims this process with a fresh claim
// (one not seen before, its clock within CLAIM_FRESH_MS of this host's); the link then belongs to that run instance.
function claimed(link: SealedLink, join: string, seen: Map<string, number>): Promise<Claim> {
  return new Promise((resolve) => {
    const sub = link.nc.subscribe(join, {
      queue: "stages",
      callback: (_error, msg) => {
        link.openOne(msg.subject, msg.data, (e) => e.sender === COORDINATOR, "a claim").then((opened) => {
          if (opened === undefined || link.session !== undefined) return;
          const m = opened.message as { kind?: unknown; index?: unknown; time?: unknown; nonce?: unknown };
          const now = Date.now();
          for (const [nonce, at] of seen) if (now - at > CLAIM_FRESH_MS) seen.delete(nonce);
          if (
            m?.kind !== "join" || !Number.isInteger(m.index) || (m.index as number) < 0 ||
            (m.index as number) >= COORDINATOR || typeof m.time !== "number" ||
            Math.abs(now - m.time) > CLAIM_FRESH_MS || typeof m.nonce !== "string" || seen.has(m.nonce) ||
            seen.size >= 1024
          ) return;
          seen.set(m.nonce, now);
          sub.unsubscribe();
          link.session = opened.envelope.session;
          link.sender = m.index as number;
          link.encrypt = (m as { encrypt?: unknown }).encrypt !== false;
          const nonce = m.nonce, reply = msg.reply;
          resolve({
            index: m.index as number,
            coordinator: opened.envelope.instance,
            respond: () => {
              if (reply === undefined) return;
              link.sealOne(reply, { kind: "joined", pid: Deno.pid, nonce }).then((b) => msg.respond(b), () => {});
            },
          });
        });
      },
    });
  });
}

// Once connected and its plugins are loaded, a stage process needs no new connection, process, file write or system
// information: it gives up those permissions (the open connection keeps working), so that no code it runs can use
// them. Reading stays (TF.js loads its wasm when the backend is set), and FFI for the native backend.
async function narrowPermissions(): Promise<void> {
  for (const name of ["net", "run", "write", "sys"] as const) {
    try {
      await Deno.permissions.revoke({ name });
    } catch { /* not known to this Deno: nothing to give up */ }
  }
}
