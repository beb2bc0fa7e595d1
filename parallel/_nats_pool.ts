// Private: the coordinator's side of a pipeline over NATS: it claims `size` stage processes of the run (started by
// hand on any host with `deno task stage`, or here with `spawn`), posts to them on their subjects, hears them on
// theirs, and ends the run when one goes silent (no beat for SILENT_SECONDS), its process exits, or the server is
// lost; a stage process that fails says so itself, as a Worker would.
import { connectNats, decode, encode, Pieces, publishPieces } from "./_nats.ts";
import { checkRunName, NatsError, redact, subjects } from "./_nats_names.ts";
import { answerOnce, type StagePool } from "./_pool.ts";
import { RunFailure } from "./_run_failure.ts";
import { BEAT_SECONDS, SILENT_SECONDS } from "./nats_stage.ts";

/** Sender id of the coordinator in `publishPieces`. */
const COORDINATOR = 0xffff;

/** Where the stages are and how to reach them. */
export interface NatsPoolOptions {
  url: string;
  run: string;
  /** Start the stage processes here (`deno run cli.ts stage`), and end them with the run. */
  spawn?: boolean;
  /** How long to wait for the stage processes to be claimed (seconds). */
  claimSeconds?: number;
  /** A PEM file of the CA that the server's TLS certificate is checked against (spawned stages get it too). */
  ca?: string;
}

/** The stage processes of one run. */
export class NatsPool<To, From> implements StagePool<To, From> {
  readonly size: number;
  /** Messages and bytes the coordinator published. */
  posts = 0;
  bytes = 0;
  readonly #nc: Awaited<ReturnType<typeof connectNats>>;
  readonly #run: string;
  readonly #subjects: ReturnType<typeof subjects>;
  readonly #handlers: ((m: From) => void)[] = [];
  readonly #runFailure = new RunFailure("The stage processes");
  readonly #failure: (k: number, m: From | string) => Error | null;
  readonly #children: Deno.ChildProcess[] = [];
  readonly #pids: number[] = [];
  readonly #beats: number[] = [];
  readonly #timers: ReturnType<typeof setInterval>[] = [];
  #ending = false;

  private constructor(
    nc: Awaited<ReturnType<typeof connectNats>>,
    run: string,
    size: number,
    failure: (k: number, m: From | string) => Error | null,
  ) {
    this.#nc = nc;
    this.#run = run;
    this.#subjects = subjects(run);
    this.size = size;
    this.#failure = failure;
  }

  /**
   * Connects, starts the stage processes if `spawn`, and claims `size` of them as stages 0..size-1.
   *
   * @throws {NatsError} If the server cannot be reached, or too few stage processes answer in time.
   */
  static async open<To, From>(
    options: NatsPoolOptions,
    size: number,
    failure: (k: number, m: From | string) => Error | null,
  ): Promise<NatsPool<To, From>> {
    const run = checkRunName(options.run);
    const nc = await connectNats(options.url, `dni coordinator ${run}`, options.ca);
    const pool = new NatsPool<To, From>(nc, run, size, failure);
    try {
      if (options.spawn) pool.#spawn(options.url, size, options.ca);
      await pool.#claim(options.url, options.claimSeconds ?? (options.spawn ? 120 : 30));
      pool.#listen(options.url);
    } catch (error) {
      await pool.terminate();
      throw error;
    }
    return pool;
  }

  #spawn(url: string, size: number, ca: string | undefined): void {
    const cli = new URL("../cli.ts", import.meta.url).href;
    for (let i = 0; i < size; i++) {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-read", "--allow-env", "--allow-net", "--allow-ffi", cli, "stage", "--quiet"],
        // The URL (it may carry a password) goes in the environment, not on the command line; so does the CA file
        // (empty: none, whatever this process's environment says).
        env: { DNI_NATS_URL: url, DNI_NATS_RUN: this.#run, DNI_NATS_CA: ca ?? "" },
        stdin: "null",
        stdout: "null",
        stderr: "inherit",
      }).spawn();
      this.#children.push(child);
      child.status.then((status) => {
        if (this.#ending) return;
        const k = this.#pids.indexOf(child.pid);
        const how = `its process (pid ${child.pid}) exited with code ${status.code}`;
        this.#runFailure.fail(
          k >= 0 ? this.#failure(k, how) ?? new Error(how) : new NatsError(`A stage process started here: ${how}`),
        );
      });
    }
  }

  // Asks the run's join queue for one idle stage process per stage, until claimSeconds have passed.
  async #claim(url: string, seconds: number): Promise<void> {
    const deadline = performance.now() + seconds * 1000;
    for (let k = 0; k < this.size; k++) {
      for (;;) {
        try {
          const reply = await this.#runFailure.race(
            this.#nc.request(this.#subjects.join, new TextEncoder().encode(JSON.stringify({ index: k })), {
              timeout: 2000,
            }),
          );
          this.#pids[k] = (JSON.parse(new TextDecoder().decode(reply.data)) as { pid: number }).pid;
          this.#beats[k] = performance.now();
          break;
        } catch (error) {
          if (!/no responders|timeout/i.test((error as Error).message)) throw error;
          if (performance.now() > deadline) {
            throw new NatsError(
              `No stage process of run "${this.#run}" answered on ${redact(url)} within ${seconds} s (${k} of ` +
                `${this.size} claimed); start them with: deno task stage --nats URL --run ${this.#run}`,
            );
          }
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    }
  }

  #listen(url: string): void {
    const s = this.#subjects, pieces = new Pieces();
    this.#nc.subscribe(s.coordinatorAll, {
      callback: (_error, msg) => {
        const k = Number(msg.subject.slice(msg.subject.lastIndexOf(".") + 1));
        const whole = pieces.add(msg.data);
        this.#beats[k] = this.#runFailure.heard();
        if (whole === undefined) return;
        const { run, m } = decode(whole);
        if (run !== this.#run) return;
        // A stage's own error names its process (which host's log to read), as a beat that stops does.
        const said = m as { kind?: string; message?: string };
        const error = this.#failure(
          k,
          said.kind === "error"
            ? { ...said, message: `its stage process (pid ${this.#pids[k]}): ${said.message}` } as From
            : m as From,
        );
        if (error) this.#runFailure.fail(error);
        else this.#handlers[k]?.(m as From);
      },
    });
    this.#nc.subscribe(s.beatAll, {
      callback: (_error, msg) => {
        this.#beats[Number(msg.subject.slice(msg.subject.lastIndexOf(".") + 1))] = performance.now();
      },
    });
    // A stage is gone when it has not beaten for SILENT_SECONDS; a late tick means this thread was busy (it
    // could not hear the beats), so the count starts again.
    let tick = performance.now();
    this.#timers.push(setInterval(() => {
      const now = performance.now();
      try {
        this.#nc.publish(s.coordinatorBeat);
      } catch { /* closed: closed() says so */ }
      if (now - tick > 2 * BEAT_SECONDS * 1000) this.#beats.fill(now);
      tick = now;
      this.#beats.forEach((at, k) => {
        if (now - at <= SILENT_SECONDS * 1000) return;
        const how = `its stage process (pid ${this.#pids[k]}) sent no beat for ${SILENT_SECONDS} s: it died, hangs ` +
          `or lost the NATS server`;
        this.#runFailure.fail(this.#failure(k, how) ?? new Error(how));
      });
    }, 500));
    this.#nc.closed().then((error) => {
      if (!this.#ending) {
        this.#runFailure.fail(new NatsError(`Lost the NATS server ${redact(url)}${error ? `: ${error}` : ""}`));
      }
    });
  }

  on(k: number, handler: (m: From) => void): void {
    this.#handlers[k] = handler;
  }

  handler(k: number): (m: From) => void {
    return this.#handlers[k] ?? (() => {});
  }

  post(k: number, m: To): void {
    this.bytes += publishPieces(this.#nc, this.#subjects.stage(k), COORDINATOR, encode(this.#run, m));
    this.posts++;
  }

  ask<R extends From>(k: number, m: To, accept: (r: From) => r is R): Promise<R> {
    return new Promise<R>((resolve) => {
      answerOnce(this, k, accept, resolve);
      this.post(k, m);
    });
  }

  fail(error: Error): void {
    this.#runFailure.fail(error);
  }

  race<T>(p: Promise<T>): Promise<T> {
    return this.#runFailure.race(p);
  }

  watch(seconds: number): void {
    this.#runFailure.watch(seconds);
  }

  unwatch(): void {
    this.#runFailure.unwatch();
  }

  /** Tells the stage processes the run is over, closes the connection, and ends the processes it started. */
  async terminate(): Promise<void> {
    if (this.#ending) return;
    this.#ending = true;
    this.unwatch();
    for (const t of this.#timers) clearInterval(t);
    if (!this.#nc.isClosed()) {
      this.#nc.publish(this.#subjects.end);
      await this.#nc.flush().catch(() => {});
      await this.#nc.close().catch(() => {});
    }
    for (const child of this.#children) {
      try {
        child.kill("SIGTERM");
      } catch { /* it has exited */ }
    }
    await Promise.all(this.#children.map((c) => c.status));
  }
}
