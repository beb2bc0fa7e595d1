/**
 * The messages between the coordinator (main thread) and the stage Workers of a pipeline. Activations and
 * messages go directly between neighbouring stages over MessageChannel ports; the coordinator feeds stage 0 and
 * hears "consumed" (stage 0), "done" (last stage) and "collected". With the shared transport a `Float32Array` in
 * "forward" and "message" is a view of a slot of a ring in shared memory (`_ring.ts`), which the receiver copies
 * out before the slot is reused; with the messages transport it is an array of its own, transferred.
 *
 * @module
 */
import type { DivergenceSite } from "../errors.ts";
import type { NetworkSpec } from "../network/spec.ts";
import type { StageTimes, Transport } from "./profile.ts";

/**
 * The message for the stage below: dL/d(its output) for one step, flat (null: that step skipped the update), or,
 * with `factor` ([units, width] of the stage's first layer), the left factor [rows, units] of the product that is it.
 * `sent`: when it was posted (`stamp()`), for the profile.
 */
export interface Message {
  kind: "message";
  step: number;
  gradient: Float32Array | null;
  factor?: { values: Float32Array; shape: [number, number] };
  sent: number;
}

/** A batch (from the coordinator) or a stage's output (from the stage below), for one step. */
export interface Forward {
  kind: "forward";
  step: number;
  x: Float32Array;
  rows: number;
  labels: Uint8Array;
  /** When it was posted (`stamp()`), for the profile. */
  sent: number;
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
    transport: Transport;
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
  | Forward
  | Message
  | { kind: "collect" };

/** Stage -> coordinator. */
export type FromStage =
  | { kind: "ready"; backend: string }
  | Forward
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
    /** Where the stage's time went since the last collect (ms), and over how many batches. */
    times: StageTimes;
    batches: number;
    /** Live tensors in the stage's Worker, once its weights are read. */
    tensors: number;
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
