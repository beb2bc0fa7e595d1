/**
 * The progress of a reproduction table: runs done of all, and the time left at the pace of the epochs trained so far
 * in this invocation (in this process, or in its processes of `--parallel`).
 *
 * @module
 */
import type { TableRun } from "./table.ts";

/** Runs done, and the time left from the pace of the epochs trained here. */
export class TimeLeft {
  /** Runs done, those found done included. */
  runsDone = 0;
  #left: number;
  #epochsHere = 0;
  #started = performance.now();

  constructor(private readonly runs: TableRun[]) {
    this.#left = runs.reduce((s, r) => s + r.epochs, 0);
  }

  /** A run found done: counted, not in the pace. */
  skip(run: TableRun): void {
    this.runsDone++;
    this.#left -= run.epochs;
  }

  /** `n` epochs trained here. */
  epochs(n: number): void {
    this.#epochsHere += n;
    this.#left -= n;
  }

  /** A run trained here ended (its epochs already counted). */
  finish(): void {
    this.runsDone++;
  }

  /** `[3/12 runs done, about 9 min left]`. */
  line(): string {
    const perEpoch = (performance.now() - this.#started) / 1000 / Math.max(1, this.#epochsHere);
    const left = this.#epochsHere === 0 ? "time left unknown yet" : `about ${duration(perEpoch * this.#left)} left`;
    return `[${this.runsDone}/${this.runs.length} runs done, ${left}]`;
  }
}

/** `95 s`, `12 min`, `3.4 h`. */
export function duration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
