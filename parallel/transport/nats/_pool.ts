// Private: the coordinator's side of a pipeline over NATS: it checks that no other coordinator holds the run, claims
// `size` stage processes of the run (started by hand on any host with `deno task stage`, or here with `spawn`),
// posts to them on their subjects and hears them on theirs, every message sealed with the run's key
// (`_link.ts`), and ends the run when one goes silent (no beat for SILENT_SECONDS), its process exits, or the
// server is lost; a stage process that fails says so itself, as a Worker would.
import { connectNats } from "./_client.ts";
import { checkRunName, NatsError, redact, subjectIndex, subjects } from "./_names.ts";
import { SealedLink } from "./_link.ts";
import { COORDINATOR, randomHex, RunKeys } from "./_wire.ts";
import { coordinatorRunKey, type RunKeySource } from "./_run_key.ts";
import { endStages, type SpawnedStages, spawnStage } from "./_spawn.ts";
import { answerOnce, type StagePool } from "../_pool.ts";
import { RunFailure } from "../_run_failure.ts";
import { BEAT_SECONDS, SILENT_SECONDS } from "./stage.ts";

/** How long the coordinator waits for the server when it ends a run (ms): a frozen server never answers. */
const END_MS = 2000;

/** Where the stages are and how to reach them. */
export interface NatsPoolOptions extends RunKeySource {
  url: string;
  run: string;
  /** Start the stage processes here (`deno run cli.ts stage`), and end them with the run. */
  spawn?: boolean;
  /** How long to wait for the stage processes to be claimed (seconds). */
  claimSeconds?: number;
  /** A PEM file of the CA that the server's TLS certificate is checked against (spawned stages get it too). */
  ca?: string;
  /** Encrypt every message (else authenticate only). @default {true} */
  encrypt?: boolean;
  /** Where warnings go (messages dropped). @default {console.warn} */
  warn?: (line: string) => void;
}

/** The stage processes of one run. */
export class NatsPool<To, From> implements StagePool<To, From> {
  readonly size: number;
  /** Messages and bytes the coordinator published. */
  posts = 0;
  bytes = 0;
  /** The claimed stage processes' own ids (their `instance`), by stage. */
  readonly instances: string[] = [];
  readonly #link: SealedLink;
  readonly #run: string;
  readonly #subjects: ReturnType<typeof subjects>;
  readonly #handlers: ((m: From) => void)[] = [];
  readonly #runFailure = new RunFailure("The stage processes");
  readonly #failure: (k: number, m: From | string) => Error | null;
  readonly #children: Deno.ChildProcess[] = [];
  readonly #pids: number[] = [];
  readonly #beats: number[] = [];
  readonly #timers: ReturnType<typeof setInterval>[] = [];
  readonly #warn: (line: string) => void;
  #ending = false;

  private constructor(
    link: SealedLink,
    run: string,
    size: number,
    failure: (k: number, m: From | string) => Error | null,
    warn: (line: string) => void,
  ) {
    this.#link = link;
    this.#run = run;
    this.#subjects = subjects(run);
    this.size = size;
    this.#failure = failure;
    this.#warn = warn;
  }

  /**
   * Connects, makes sure the run is not in use, starts the stage processes if `spawn` (with `plugins` allowed on
   * them), and claims `size` of them as stages 0..size-1.
   *
   * @throws {NatsError} If there is no run key, the server cannot be reached, the run is in use, or too few stage
   *   processes answer in time.
   */
  static async open<To, From>(
    options: NatsPoolOptions,
    size: number,
    failure: (k: number, m: From | string) => Error | null,
    spawned: SpawnedStages = { plugins: [], ffi: true },
  ): Promise<NatsPool<To, From>> {
    const run = checkRunName(options.run);
    const secret = await coordinatorRunKey(options);
    const s = subjects(run);
    const nc = await connectNats(options.url, `dni coordinator ${run}`, options.ca, s.inbox);
    const warn = options.warn ?? ((line: string) => console.warn(line));
    const link = new SealedLink(nc, new RunKeys(secret, run), {
      session: randomHex(16),
      sender: COORDINATOR,
      encrypt: options.encrypt ?? true,
      who: `the coordinator of run "${run}"`,
      warn,
    });
    const pool = new NatsPool<To, From>(link, run, size, failure, warn);
    try {
      await pool.#hold(options.url);
      if (options.spawn) pool.#spawn(options, secret, spawned);
      await pool.#claim(options.url, options.claimSeconds ?? (options.spawn ? 120 : 30));
      pool.#listen(options.url);
    } catch (error) {
      await pool.terminate();
      throw error;
    }
    return pool;
  }

  // Fails if another coordinator answers on the run's owner subject; then answers there itself.
  async #hold(url: string): Promise<void> {
    const s = this.#subjects, link = this.#link;
    let answered = false;
    try {
      await link.nc.request(s.owner, await link.sealOne(s.owner, { kind: "owner?" }), { timeout: 1000 });
      answered = true;
    } catch (error) {
      // No responders: nobody holds it; a timeout: only listeners that do not answer (e.g. a subscriber on dni.>).
      if (!/no responders|timeout/i.test((error as Error).message)) throw error;
    }
    if (answered) {
      throw new NatsError(
        `Run "${this.#run}" is in use on ${redact(url)}: another coordinator answers on ${s.owner}; choose ` +
          `another --run NAME, or wait for that run to end`,
      );
    }
    link.nc.subscribe(s.owner, {
      callback: (_error, msg) => {
        link.sealOne(msg.reply ?? s.owner, { kind: "in-use" }).then((bytes) => msg.respond(bytes), () => {});
      },
    });
  }

  #spawn(options: NatsPoolOptions, secret: Uint8Array, spawned: SpawnedStages): void {
    for (let i = 0; i < this.size; i++) {
      const child = spawnStage(options.url, this.#run, options.ca, secret, spawned);
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

  // Asks the run's join queue for one idle stage process per stage, until claimSeconds have passed. Only a process
  // with the run's key can read the request or answer it so that the coordinator believes it.
  async #claim(url: string, seconds: number): Promise<void> {
    const deadline = performance.now() + seconds * 1000;
    const link = this.#link, s = this.#subjects;
    for (let k = 0; k < this.size; k++) {
      for (;;) {
        const nonce = randomHex(8);
        const request = { kind: "join", index: k, time: Date.now(), nonce, encrypt: link.encrypt };
        try {
          const reply = await this.#runFailure.race(
            link.nc.request(s.join, await link.sealOne(s.join, request), { timeout: 2000 }),
          );
          const opened = await link.openOne(reply.subject, reply.data, (e) => e.sender === k, "a reply to a claim");
          const m = opened?.message as { kind?: unknown; nonce?: unknown; pid?: unknown } | undefined;
          if (opened && m?.kind === "joined" && m.nonce === nonce && Number.isSafeInteger(m.pid)) {
            this.#pids[k] = m.pid as number;
            this.instances[k] = opened.envelope.instance;
            this.#beats[k] = performance.now();
            break;
          }
        } catch (error) {
          if (!/no responders|timeout/i.test((error as Error).message)) throw error;
        }
        if (performance.now() > deadline) {
          throw new NatsError(
            `No stage process of run "${this.#run}" answered on ${redact(url)} within ${seconds} s (${k} of ` +
              `${this.size} claimed); start them with: deno task stage --nats URL --run ${this.#run} --run-key ` +
              `FILE (a stage process with another run key does not answer: give both the same key)`,
          );
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  #listen(url: string): void {
    const s = this.#subjects, link = this.#link;
    const fromStage = (e: { sender: number; instance: string }, subject: string) => {
      const k = subjectIndex(subject);
      return k !== undefined && k < this.size && e.sender === k && e.instance === this.instances[k];
    };
    link.listen(s.reportAll, fromStage, (m, e) => {
      const k = e.sender;
      this.#beats[k] = this.#runFailure.heard();
      if (m === null || typeof m !== "object" || typeof (m as { kind?: unknown }).kind !== "string") {
        this.#warn(`the coordinator of run "${this.#run}": dropped a report of stage ${k} that has no kind`);
        return;
      }
      // A stage's own error names its process (which host's log to read), as a beat that stops does.
      const said = m as { kind: string; message?: unknown };
      const error = this.#failure(
        k,
        said.kind === "error"
          ? { ...said, message: `its stage process (pid ${this.#pids[k]}): ${String(said.message)}` } as From
          : m as From,
      );
      if (error) this.#runFailure.fail(error);
      else this.#handlers[k]?.(m as From);
    });
    link.listen(s.beatAll, fromStage, (_m, e) => void (this.#beats[e.sender] = performance.now()));
    // A stage is gone when it has not beaten for SILENT_SECONDS; a late tick means this thread was busy (it
    // could not hear the beats), so the count starts again.
    let tick = performance.now();
    this.#timers.push(setInterval(() => {
      const now = performance.now();
      link.send(s.alive, { kind: "alive" });
      if (now - tick > 2 * BEAT_SECONDS * 1000) this.#beats.fill(now);
      tick = now;
      this.#beats.forEach((at, k) => {
        if (now - at <= SILENT_SECONDS * 1000) return;
        const how = `its stage process (pid ${this.#pids[k]}) sent no beat for ${SILENT_SECONDS} s: it died, hangs ` +
          `or lost the NATS server`;
        this.#runFailure.fail(this.#failure(k, how) ?? new Error(how));
      });
    }, 500));
    link.nc.closed().then((error) => {
      if (!this.#ending) {
        this.#runFailure.fail(new NatsError(`Lost the NATS server ${redact(url)}${error ? `: ${error}` : ""}`));
      }
    });
  }

  /** Messages the coordinator dropped (not sealed with the run's key, played again, or not from the stage). */
  get dropped(): number {
    return this.#link.dropped;
  }

  on(k: number, handler: (m: From) => void): void {
    this.#handlers[k] = handler;
  }

  handler(k: number): (m: From) => void {
    return this.#handlers[k] ?? (() => {});
  }

  post(k: number, m: To): void {
    const kind = (m as { kind?: string }).kind;
    const s = this.#subjects;
    // Batches are data (stage 0's input); init and collect are control.
    const subject = kind === "forward" ? s.forward(k) : s.control(k);
    this.bytes += this.#link.send(subject, kind === "init" ? { ...m, instances: this.instances } : m);
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

  /**
   * Tells the stage processes the run is over, closes the connection, and ends the processes it started; never
   * waits on the server for more than a few seconds (a frozen server never answers).
   */
  async terminate(): Promise<void> {
    if (this.#ending) return;
    this.#ending = true;
    this.unwatch();
    for (const t of this.#timers) clearInterval(t);
    const link = this.#link;
    if (!link.nc.isClosed()) {
      if (link.session !== undefined) link.send(this.#subjects.end, { kind: "end" });
      await link.settle(END_MS);
      await link.close(END_MS);
    }
    await endStages(this.#children);
    if (link.dropped > 0) {
      this.#warn(
        `the coordinator of run "${this.#run}" dropped ${link.dropped} message(s) that were not sealed with the run's ` +
          `key, were played again, or came from the wrong sender`,
      );
    }
  }
}
