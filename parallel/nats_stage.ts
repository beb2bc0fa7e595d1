/**
 * A pipeline stage as a process of its own, on any host, reached over a NATS server (`deno task stage`): it waits
 * for a coordinator of run `run` (`pipeline({ transport: "nats" })`, `deno task train --nats`) to claim it, then
 * runs the same stage loop as a Worker does (`_stage_loop.ts`): activations forward and messages back over the
 * subjects of the run, results and weights to the coordinator. It beats every second so that the coordinator
 * notices within seconds when it dies or loses the server, and it serves one run: it returns when the coordinator
 * ends the run, and fails when the coordinator goes silent or the server is lost. A message of another run is
 * refused.
 *
 * Subjects (`RUN` the run's name): `dni.RUN.join` (a coordinator claims an idle stage process: request/reply in
 * the queue group "stages"), `dni.RUN.stage.K` (what stage K hears), `dni.RUN.coord.K` (what it says to the
 * coordinator), `dni.RUN.beat.K`, `dni.RUN.alive` (the coordinator's beat), `dni.RUN.end`.
 *
 * @module
 */
import { connectNats, decode, encode, Pieces, publishPieces } from "./_nats.ts";
import { checkRunName, redact, subjects } from "./_nats_names.ts";
import type { FromStage, ToStage } from "./protocol.ts";
import { MessageLinks, type StagePort } from "./_stage_links.ts";
import { stageLoop } from "./_stage_loop.ts";
import { holdOneBlasThread } from "./_blas_threads.ts";

/** Seconds between a stage process's beats, and the coordinator's. */
export const BEAT_SECONDS = 1;
/** Seconds without a beat after which a stage process (or the coordinator) counts as gone. */
export const SILENT_SECONDS = 5;
/** Seconds a claimed stage process waits for a word from its coordinator before it gives up. */
const COORDINATOR_SILENT_SECONDS = 60;

/** Options of `serveStage`. */
export interface StageServeOptions {
  /** The NATS server, e.g. `nats://user:password@host:4222`. */
  url: string;
  /** The run's name (letters, digits, `_`, `-`); only a coordinator of this run can claim the stage. */
  run: string;
  /**
   * A PEM file of the certificate authority (or the self-signed certificate) that the server's TLS certificate is
   * checked against, instead of the system's roots.
   */
  ca?: string;
  /** Where progress lines go. @default {() => {}} */
  log?: (line: string) => void;
}

/**
 * Serves one stage of run `run`: waits to be claimed, trains, and resolves when the coordinator ends the run.
 *
 * @throws {Error} If the server cannot be reached (the message names the URL, never the password), the server is
 *   lost, or the coordinator goes silent.
 */
export async function serveStage(options: StageServeOptions): Promise<void> {
  const { url, log = () => {} } = options;
  const run = checkRunName(options.run);
  const s = subjects(run);
  const nc = await connectNats(url, `dni stage ${run}`, options.ca);
  const release = holdOneBlasThread();
  const timers: ReturnType<typeof setInterval>[] = [];
  try {
    log(`stage process ${Deno.pid}: waiting for run "${run}" on ${redact(url)}`);
    // The stage's own subject is subscribed before the claim is answered, so that the init cannot come first.
    const early: ToStage[] = [];
    let deliver: (m: ToStage) => void = (m) => void early.push(m);
    let heard = performance.now();
    const pieces = new Pieces();
    const index = await claimed(nc, s.join, (k) =>
      nc.subscribe(s.stage(k), {
        callback: (_error, msg) => {
          const whole = pieces.add(msg.data);
          if (whole === undefined) return;
          const { run: of, m } = decode(whole);
          if (of !== run) return log(`stage ${k}: refused a message of run ${JSON.stringify(of)}`);
          if ((m as ToStage).kind === "init") heard = performance.now();
          deliver(m as ToStage);
        },
      }));
    log(`stage process ${Deno.pid}: claimed as stage ${index}`);
    let clock: { bytes: number } = { bytes: 0 };
    const send = (subject: string, m: unknown) => {
      clock.bytes += publishPieces(nc, subject, index, encode(run, m));
    };
    const port = (k: number): StagePort => ({ postMessage: (m) => send(s.stage(k), m) });
    deliver = stageLoop((m: FromStage) => send(s.coordinator(index), m), (_init, place) => {
      clock = place.clock;
      return new MessageLinks({ ...place, down: index > 0 ? port(index - 1) : undefined, up: port(index + 1) });
    });
    for (const m of early.splice(0)) deliver(m);
    nc.subscribe(s.coordinatorBeat, { callback: () => void (heard = performance.now()) });
    timers.push(setInterval(() => nc.publish(s.beat(index)), BEAT_SECONDS * 1000));
    const ended = new Promise<void>((resolve) => nc.subscribe(s.end, { callback: () => resolve() }));
    const silent = new Promise<never>((_, reject) => {
      timers.push(setInterval(() => {
        if (performance.now() - heard > COORDINATOR_SILENT_SECONDS * 1000) {
          reject(new Error(`Stage ${index} of run "${run}": no word from the coordinator for 60 s; giving up`));
        }
      }, 1000));
    });
    const lost = nc.closed().then((error) => {
      throw new Error(`Stage ${index} of run "${run}" lost the NATS server ${redact(url)}${error ? `: ${error}` : ""}`);
    });
    await Promise.race([ended, silent, lost]);
    log(`stage process ${Deno.pid}: run "${run}" ended`);
  } finally {
    for (const t of timers) clearInterval(t);
    release();
    if (!nc.isClosed()) await nc.close();
  }
}

// Waits in the queue group of `join` until a coordinator claims this process; calls `listen(index)`, makes sure the
// server has its subscriptions, answers, and resolves to the stage's index.
function claimed(
  nc: Awaited<ReturnType<typeof connectNats>>,
  join: string,
  listen: (index: number) => void,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const sub = nc.subscribe(join, {
      queue: "stages",
      callback: (_error, msg) => {
        const { index } = JSON.parse(new TextDecoder().decode(msg.data)) as { index: number };
        sub.unsubscribe();
        listen(index);
        nc.flush().then(() => {
          msg.respond(new TextEncoder().encode(JSON.stringify({ pid: Deno.pid })));
          resolve(index);
        }, reject);
      },
    });
    nc.closed().then(() => reject(new Error("the NATS connection closed before a coordinator claimed this stage")));
  });
}
