/**
 * Where training stands inside an epoch: how many batches of the next epoch (`network.epochs + 1`) are already
 * trained, and that epoch's sums so far, so that a run stopped there (Ctrl-C, `signal`, a checkpoint every N steps)
 * and resumed finishes the epoch with the record an uninterrupted run gives.
 *
 * @module
 */

/** Training's place inside epoch `network.epochs + 1` (see the module's documentation). */
export interface EpochProgress {
  /** Batches of the epoch already trained (>= 1). */
  batch: number;
  /** The epoch's running sums (loss, correct counts, examples, seconds), which its record goes on from. */
  meter: Record<string, number>;
  /** The data side's own running sums (a sequence task's bits per character), if it keeps any. */
  feed?: Record<string, number>;
  /**
   * The interfaces' running means so far (a synthesizer's loss), each as its sum over the epoch's batches, keyed
   * `layer/type/on/key`, so that the epoch's record gives their mean over all its batches.
   */
  diagnostics?: Record<string, number>;
}

/**
 * What is wrong with `value` as an `EpochProgress`, or undefined: `batch` a whole number >= 1, and every sum a
 * finite number.
 *
 * @example
 * ```ts
 * import { epochProgressProblem } from "./epoch_progress.ts";
 * console.assert(epochProgressProblem({ batch: 3, meter: { lossSum: 1.5 } }) === undefined);
 * console.assert(epochProgressProblem({ batch: 0, meter: {} }) === "batch must be an integer >= 1, got 0");
 * ```
 */
export function epochProgressProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "must be an object";
  const p = value as Record<string, unknown>;
  if (!Number.isSafeInteger(p.batch) || (p.batch as number) < 1) {
    return `batch must be an integer >= 1, got ${JSON.stringify(p.batch)}`;
  }
  for (const key of Object.keys(p)) {
    if (!["batch", "meter", "feed", "diagnostics"].includes(key)) {
      return `has the field ${JSON.stringify(key)}, which it does not know`;
    }
  }
  for (const part of ["meter", "feed", "diagnostics"] as const) {
    const sums = p[part];
    if (sums === undefined && part !== "meter") continue;
    if (typeof sums !== "object" || sums === null || Array.isArray(sums)) return `${part} must be an object of sums`;
    for (const [name, n] of Object.entries(sums)) {
      if (typeof n !== "number" || !Number.isFinite(n)) return `${part}.${name} must be a finite number, got ${n}`;
    }
  }
  return undefined;
}
