/**
 * The messages between the coordinator (main thread) and the stage Workers of a pipeline. Activations and
 * messages go directly between neighbouring stages over MessageChannel ports; the coordinator feeds stage 0 and
 * hears "consumed" (stage 0), "done" (last stage) and "collected".
 *
 * @module
 */
import type { NetworkSpec } from "../network/spec.ts";

/** Coordinator -> stage. */
export type ToStage =
  | {
    kind: "init";
    spec: NetworkSpec;
    seed: number;
    lo: number;
    hi: number;
    staleness: number;
    fail?: string;
    /** What the stage's network does on a NaN or infinity (see `Network.onNonFinite`). */
    onNonFinite?: "error" | "skip";
    /** A port to the stage below (messages out, activations in), and to the stage above. */
    down?: MessagePort;
    up?: MessagePort;
  }
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
    /** Updates the stage left out since the last collect (`onNonFinite: "skip"`). */
    skippedUpdates: number;
  }
  | { kind: "error"; message: string };
