// Private: the Workers of one strategy run: one module URL, a handler per Worker, and one failure that ends every
// wait (a Worker's error message, a crash, a stall, or a coordinator-side error such as a throwing callback).
import { holdOneBlasThread } from "../_blas_threads.ts";
import type { FromStage, ToStage } from "../protocol.ts";
import { RunFailure } from "./_run_failure.ts";

/** The stages (or replicas) of a run as the coordinator sees them, whatever carries the messages. */
export interface StagePool<To, From> {
  readonly size: number;
  on(k: number, handler: (m: From) => void): void;
  handler(k: number): (m: From) => void;
  post(k: number, m: To, transfer?: (ArrayBufferLike | MessagePort)[]): void;
  ask<R extends From>(k: number, m: To, accept: (r: From) => r is R, transfer?: ArrayBufferLike[]): Promise<R>;
  fail(error: Error): void;
  race<T>(p: Promise<T>): Promise<T>;
  watch(seconds: number): void;
  unwatch(): void;
  /** Ends the run's stages; resolves once they are gone. */
  terminate(): void | Promise<void>;
}

/**
 * Makes `pool`'s handler of `k` take its first message that `accept` takes (to `resolve`) and pass others on to the
 * handler it had; once it has taken one, that handler is back (unless another was set meanwhile). Left in place, a
 * handler per question would pile up (one per batch in a data-parallel run), each holding its answer (issue 17).
 */
export function answerOnce<From, R extends From>(
  pool: Pick<StagePool<unknown, From>, "on" | "handler">,
  k: number,
  accept: (r: From) => r is R,
  resolve: (r: R) => void,
): void {
  const previous = pool.handler(k);
  const handler = (r: From) => {
    if (!accept(r)) return previous(r);
    if (pool.handler(k) === handler) pool.on(k, previous);
    resolve(r);
  };
  pool.on(k, handler);
}

/** A set of Workers and the failure that ends their run. */
export class WorkerPool<To, From> implements StagePool<To, From> {
  readonly #threads: Worker[];
  readonly #handlers: ((m: From) => void)[] = [];
  readonly #run = new RunFailure("The Workers");

  /**
   * Starts `size` Workers of `url`. `failure(k, m)` says whether a message (or, as a string, a crash) of Worker
   * `k` ends the run, and with which error; other messages go to the Worker's handler.
   */
  constructor(url: URL, size: number, failure: (k: number, m: From | string) => Error | null) {
    this.#threads = Array.from({ length: size }, (_, k) => {
      const w = new Worker(url.href, { type: "module" });
      w.onmessage = (e: MessageEvent<From>) => {
        this.#run.heard();
        const error = failure(k, e.data);
        if (error) this.#run.fail(error);
        else this.#handlers[k]?.(e.data);
      };
      w.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        this.#run.fail(failure(k, e.message) ?? new Error(e.message));
      };
      return w;
    });
  }

  /** Number of Workers. */
  get size(): number {
    return this.#threads.length;
  }

  /** Sets Worker `k`'s handler. */
  on(k: number, handler: (m: From) => void): void {
    this.#handlers[k] = handler;
  }

  /** Worker `k`'s current handler. */
  handler(k: number): (m: From) => void {
    return this.#handlers[k] ?? (() => {});
  }

  /** Posts `m` to Worker `k`, transferring `transfer`. */
  post(k: number, m: To, transfer: (ArrayBufferLike | MessagePort)[] = []): void {
    this.#threads[k]!.postMessage(m, transfer as Transferable[]);
  }

  /** Posts `m` to Worker `k` and resolves with its first reply that `accept` takes. */
  ask<R extends From>(k: number, m: To, accept: (r: From) => r is R, transfer: ArrayBufferLike[] = []): Promise<R> {
    return new Promise<R>((resolve) => {
      answerOnce(this, k, accept, resolve);
      this.post(k, m, transfer);
    });
  }

  /** Ends the run with `error`. */
  fail(error: Error): void {
    this.#run.fail(error);
  }

  /** `p`, or the run's failure, whichever comes first. */
  race<T>(p: Promise<T>): Promise<T> {
    return this.#run.race(p);
  }

  /** Fails the run if no Worker says anything for `seconds`. */
  watch(seconds: number): void {
    this.#run.watch(seconds);
  }

  /** Stops the watchdog (while the coordinator works on its own, e.g. evaluates). */
  unwatch(): void {
    this.#run.unwatch();
  }

  /** Stops the watchdog and every Worker. */
  terminate(): void {
    this.unwatch();
    for (const w of this.#threads) w.terminate();
  }
}

/**
 * Starts `count` pipeline stages in Workers (`stage_worker.ts`; the shared and messages transports), holding one
 * BLAS thread per Worker until `release` (the count is process-wide: see `_blas_threads.ts`).
 */
export function openWorkers(
  count: number,
  failure: (k: number, m: FromStage | string) => Error | null,
): { pool: StagePool<ToStage, FromStage>; release: () => void } {
  const release = holdOneBlasThread();
  try {
    return {
      pool: new WorkerPool<ToStage, FromStage>(new URL("./stage_worker.ts", import.meta.url), count, failure),
      release,
    };
  } catch (error) {
    release();
    throw error;
  }
}
