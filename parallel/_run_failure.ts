// Private: the one failure that ends every wait of a strategy run (a stage's error, a crash, a stall, a lost server,
// a coordinator-side error), and the watchdog that fails the run when its stages fall silent. Shared by the Worker
// pool and the NATS pool.

/** A run's failure and its silence watchdog. */
export class RunFailure {
  /** Rejects with the run's failure; never resolves. */
  readonly failed: Promise<never>;
  readonly #who: string;
  #reject: (e: Error) => void = () => {};
  #lastHeard = performance.now();
  #watchdog: ReturnType<typeof setInterval> | undefined;

  /** @param who What the stages are, for the stall message, e.g. `"The Workers"`. */
  constructor(who: string) {
    this.#who = who;
    this.failed = new Promise<never>((_, reject) => this.#reject = reject);
    this.failed.catch(() => {});
  }

  /** Ends the run with `error` (the first failure wins). */
  fail(error: Error): void {
    this.#reject(error);
  }

  /** `p`, or the run's failure, whichever comes first. */
  race<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.failed]);
  }

  /** A stage said something: the watchdog's clock starts again. Returns the time. */
  heard(): number {
    return this.#lastHeard = performance.now();
  }

  /** Fails the run if no stage says anything for `seconds`. */
  watch(seconds: number): void {
    this.#lastHeard = performance.now();
    this.#watchdog ??= setInterval(() => {
      if (performance.now() - this.#lastHeard > seconds * 1000) {
        this.#reject(new Error(`${this.#who} made no progress for ${seconds} s (no message from any of them)`));
      }
    }, 1000);
  }

  /** Stops the watchdog. */
  unwatch(): void {
    clearInterval(this.#watchdog);
    this.#watchdog = undefined;
  }
}
