// Private: the one failure that ends every wait of a strategy run (a stage's error, a crash, a stall, a lost server,
// a coordinator-side error), and the watchdog that fails the run when its stages fall silent. Shared by the Worker
// pool and the NATS pool.

/**
 * A run's failure and its silence watchdog.
 *
 * `race` does not race its promise against one promise of the failure: a reaction added to a promise that never
 * settles stays until it does, and would keep each race's promise and what it resolved to (every epoch's gathered
 * weights) alive for the whole run (issue 17). Each race's reject is kept only while its promise is pending.
 */
export class RunFailure {
  readonly #who: string;
  #error: Error | undefined;
  // The rejects of the races still pending: the failure rejects them; each is dropped once its promise settles.
  readonly #pending = new Set<(e: Error) => void>();
  #lastHeard = performance.now();
  #watchdog: ReturnType<typeof setInterval> | undefined;

  /** @param who What the stages are, for the stall message, e.g. `"The Workers"`. */
  constructor(who: string) {
    this.#who = who;
  }

  /** Ends the run with `error` (the first failure wins). */
  fail(error: Error): void {
    if (this.#error !== undefined) return;
    this.#error = error;
    for (const reject of this.#pending) reject(error);
    this.#pending.clear();
  }

  /** `p`, or the run's failure, whichever comes first. */
  race<T>(p: Promise<T>): Promise<T> {
    if (this.#error !== undefined) {
      p.catch(() => {});
      return Promise.reject(this.#error);
    }
    return new Promise<T>((resolve, reject) => {
      this.#pending.add(reject);
      p.then(resolve, reject).finally(() => this.#pending.delete(reject));
    });
  }

  /** Races still pending (for tests: none once each has settled). */
  get pendingRaces(): number {
    return this.#pending.size;
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
        this.fail(new Error(`${this.#who} made no progress for ${seconds} s (no message from any of them)`));
      }
    }, 1000);
  }

  /** Stops the watchdog. */
  unwatch(): void {
    clearInterval(this.#watchdog);
    this.#watchdog = undefined;
  }
}
