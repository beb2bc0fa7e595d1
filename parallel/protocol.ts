/**
 * The messages between the coordinator (main thread) and the stage Workers of a pipeline. Activations and
 * messages go directly between neighbouring stages over MessageChannel ports; the coordinator feeds stage 0 and
 * hears "consumed" (stage 0), "done" (last stage) and "collected".
 *
 * @module
 */
import type { DivergenceSite } from "../errors.ts";
import type { NetworkSpec } from "../network/spec.ts";

/**
 * The message for the stage below: dL/d(its output) for one step, flat (null: that step skipped the update), or,
 * with `factor` ([units, width] of the stage's first layer), the left factor [rows, units] of the product that is it.
 */
export interface Message {
  kind: "message";
  step: number;
  gradient: Float32Array | null;
  factor?: { values: Float32Array; shape: [number, number] };
}

/** Coordinator -> stage. */
export type ToStage =
  | {
    kind: "init";
    spec: NetworkSpec;
    /** The plugin modules to load into the stage's registries before building the network (`network.plugins`). */
    plugins: string[];
    seed: number;
    /** The coordinator's TF.js backend: the stage runs on it too. */
    backend: string;
    /** The network's variables (`Network.variables` order): the stage starts from them. */
    weights: Float32Array[];
    lo: number;
    hi: number;
    staleness: number;
    /** Send this stage's message as its two factors, for the stage below to multiply. */
    messageBelow: boolean;
    fail?: string;
    /** What the stage's network does on a NaN or infinity (see `Network.onNonFinite`). */
    onNonFinite?: "error" | "skip";
    /** A port to the stage below (messages out, activations in), and to the stage above. */
    down?: MessagePort;
    up?: MessagePort;
  }
  | { kind: "forward"; step: number; x: Float32Array; rows: number; labels: Uint8Array }
  | Message
  | { kind: "collect" };

/** Stage -> coordinator. */
export type FromStage =
  | { kind: "ready"; backend: string }
  | { kind: "forward"; step: number; x: Float32Array; rows: number; labels: Uint8Array }
  | Message
  | { kind: "consumed"; step: number; outstanding: number }
  | { kind: "done"; step: number; loss: number; correct: number; rows: number }
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
  | { kind: "error"; message: string }
  | Diverged;

/** A Worker's step diverged (`onNonFinite: "error"`): the fields of its `DivergenceError`, to rebuild it. */
export interface Diverged {
  kind: "diverged";
  what: string;
  value: number;
  site: DivergenceSite;
}

/** What a Worker posts for an error it caught: a divergence's fields, or the message. */
export function failureMessage(error: unknown): Diverged | { kind: "error"; message: string } {
  const e = error as { name?: string; what?: unknown; value?: number; site?: DivergenceSite; message?: string };
  if (e?.name === "DivergenceError" && typeof e.what === "string") {
    return { kind: "diverged", what: e.what, value: e.value!, site: { ...e.site } };
  }
  return { kind: "error", message: e?.message ?? String(error) };
}
