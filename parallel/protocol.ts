/**
 * The messages between the coordinator (main thread) and the stage Workers of a pipeline.
 *
 * @module
 */
import type { NetworkSpec } from "../network/spec.ts";

/** Coordinator -> stage. */
export type ToStage =
  | { kind: "init"; spec: NetworkSpec; seed: number; lo: number; hi: number; staleness: number; fail?: string }
  | { kind: "forward"; step: number; x: Float32Array; rows: number; labels: Uint8Array }
  | { kind: "message"; step: number; gradient: Float32Array | null }
  | { kind: "collect" };

/** Stage -> coordinator. */
export type FromStage =
  | { kind: "ready" }
  | { kind: "forward"; step: number; x: Float32Array; rows: number; labels: Uint8Array }
  | { kind: "message"; step: number; gradient: Float32Array | null }
  | { kind: "consumed"; step: number; outstanding: number }
  | { kind: "done"; step: number; loss: number; correct: number }
  | {
    kind: "collected";
    weights: Float32Array[];
    diagnostics: { layer: number; values: Record<string, number> }[];
    busySeconds: number;
    waitSeconds: number;
    maxOutstanding: number;
  }
  | { kind: "error"; message: string };
