/**
 * How a Worker's failure reaches `train()`: a `WorkerError` that names the module (the stage or replica) and its
 * layers, or the Worker's `DivergenceError`, rebuilt.
 *
 * @module
 */
import { DivergenceError } from "../errors.ts";
import type { FromStage } from "./protocol.ts";

/** A Worker failed; the message names the module. */
export class WorkerError extends Error {
  /** Index of the stage (the module) that failed. */
  readonly stage: number;
  /**
   * Makes the error; the message is `Module <stage> (layers <lo>-<hi>) failed: <problem>`.
   *
   * @param stage Index of the stage.
   * @param lo The stage's first layer.
   * @param hi The stage's last layer.
   * @param problem What went wrong in the Worker.
   */
  constructor(stage: number, lo: number, hi: number, problem: string) {
    super(`Module ${stage} (layers ${lo}-${hi}) failed: ${problem}`);
    this.name = "WorkerError";
    this.stage = stage;
  }
}

/**
 * The error a Worker's failure message stands for: its `DivergenceError`, rebuilt (`train()` places it at its
 * epoch and batch), or a `WorkerError` naming the module; `null` for other messages.
 */
export function workerFailure(k: number, lo: number, hi: number, m: { kind: string } | string): Error | null {
  if (typeof m === "string") return new WorkerError(k, lo, hi, m);
  if (m.kind === "error") return new WorkerError(k, lo, hi, (m as unknown as { message: string }).message);
  if (m.kind === "diverged") {
    const d = m as Extract<FromStage, { kind: "diverged" }>;
    return new DivergenceError(d.what, d.value, undefined, undefined, d.site);
  }
  return null;
}
