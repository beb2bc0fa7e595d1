/**
 * Ctrl-C (SIGINT) and SIGTERM during `train`: the first aborts the run's `signal`, so that `train()` stops after the
 * batch in flight and the state after the last completed batch is saved; a second exits at once (130 / 143) without
 * touching the checkpoint directory (a save in progress is written aside and renamed into place, so the directory
 * holds the old checkpoint or the new one, never half of one). If the run has not stopped within the grace time
 * (Workers or stage processes that do not hand back their state), `onLate` says what is kept and the process exits.
 *
 * @module
 */

/** The signals a run stops on, and the exit status of each (128 + its number, as shells report it). */
export const EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/** A signal a run stops on. */
export type StopSignal = keyof typeof EXIT_CODES;

/** Options of `listenForInterrupt`. */
export interface InterruptOptions {
  /** How long the run may take to stop and save after the first signal (ms). @default {10000} */
  graceMs?: number;
  /** Called when the grace time is over and the run has not stopped; the process then exits. */
  onLate?: (signal: StopSignal) => void;
  /** How the process exits. @default {Deno.exit} */
  exit?: (code: number) => never;
  /** The signals that stop the run (a process whose parent stops it may listen to SIGTERM only). @default {both} */
  signals?: StopSignal[];
}

/** A run's interruption: its signal, which stop signal came, and the listeners to remove when the run is done. */
export interface Interrupt {
  /** Aborted by the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** The stop signal received, if any. */
  readonly received: StopSignal | undefined;
  /** Removes the listeners and the grace timer. */
  dispose(): void;
}

/**
 * Listens for SIGINT and SIGTERM until `dispose()` (see the module's documentation).
 *
 * @example
 * ```ts
 * import { listenForInterrupt } from "./interrupt.ts";
 * const interrupt = listenForInterrupt();
 * console.assert(!interrupt.signal.aborted && interrupt.received === undefined);
 * interrupt.dispose();
 * ```
 */
export function listenForInterrupt(options: InterruptOptions = {}): Interrupt {
  const { graceMs = 10_000, onLate, exit = Deno.exit, signals = Object.keys(EXIT_CODES) as StopSignal[] } = options;
  const controller = new AbortController();
  let received: StopSignal | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const handlers = signals.map((name) => {
    const handler = () => {
      if (received !== undefined) return exit(EXIT_CODES[received]); // a second signal: at once
      received = name;
      controller.abort(name);
      timer = setTimeout(() => {
        onLate?.(name);
        exit(EXIT_CODES[name]);
      }, graceMs);
    };
    Deno.addSignalListener(name, handler);
    return { name, handler };
  });
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    dispose() {
      for (const { name, handler } of handlers) Deno.removeSignalListener(name, handler);
      clearTimeout(timer);
    },
  };
}

/** A run stopped by a signal that could not save where it stopped (it said why, and what is kept): exit with `code`. */
export class RunInterrupted extends Error {
  /** The exit status (130 for SIGINT, 143 for SIGTERM). */
  readonly code: number;

  constructor(message: string, signal: StopSignal) {
    super(message);
    this.name = "RunInterrupted";
    this.code = EXIT_CODES[signal];
  }
}
