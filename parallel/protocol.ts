/**
 * The messages between the coordinator (main thread) and the stage Workers of a pipeline, and between neighbouring
 * stages (over MessageChannel ports). The coordinator feeds stage 0 and hears "consumed" (stage 0), "done" (last
 * stage) and "collected".
 *
 * With the messages transport every batch, activation and message travels in a message of its own ("forward",
 * "message"), its values copied into an array that is transferred; stage 0 says "consumed" and the last stage
 * "done" once per batch. With the shared transport activations and messages travel in rings of slots in shared
 * memory (`transport/shared/_ring.ts`, announced once in "rings") and a stage is posted a "wake" only when it said it was asleep;
 * the coordinator sends stage 0 several batches per message ("batches", transferred); stage 0 says "consumed" when
 * its batches run low and the last stage "done" with several results at a time, both when they are about to sleep
 * unless it cannot wait (`transport/shared/_links.ts`).
 *
 * @module
 */
import type { DivergenceSite } from "../errors.ts";
import type { InterfaceDiagnostics } from "../network/interface_diagnostics.ts";
import type { NetworkSpec } from "../network/spec.ts";
import type { TrainingState } from "../optimizers/state.ts";
import type { StageTimes, Transport } from "./profile.ts";

/**
 * The message for the stage below: dL/d(its output) for one step, flat (null: that step skipped the update), or,
 * with `factor` ([units, width] of the stage's first layer), the left factor [rows, units] of the product that is it.
 */
export interface Message {
  kind: "message";
  step: number;
  gradient: Float32Array | null;
  factor?: { values: Float32Array; shape: [number, number] };
  /** When it was posted (`stamp()`), for the profile; none for an item of a ring. */
  sent?: number;
}

/** A batch (from the coordinator) or a stage's output (from the stage below), for one step. */
export interface Forward {
  kind: "forward";
  step: number;
  x: Float32Array;
  rows: number;
  /** One class per row; a sequence window's row whose step has no target: `NO_TARGET`. */
  labels: Uint8Array;
  /** A sequence network's truncation window: the rows are its sequences x steps (`b * time + t`). */
  window?: WindowMeta;
  /** When it was posted (`stamp()`), for the profile; none for an item of a ring. */
  sent?: number;
}

/** The label of a sequence window's row whose step has no target (the mask is 0 there). */
export const NO_TARGET = 255;

/** What a stage needs to know of a sequence window besides its rows. */
export interface WindowMeta {
  /** Sequences in the batch. */
  sequences: number;
  /** Steps in the window (rows = sequences x time). */
  time: number;
  /** Whether a later window (or a batch continuing the streams) follows: a state interface predicts its gradient. */
  future: boolean;
  /** The first window of a batch that does not continue the previous one's streams: the state starts from zeros. */
  fresh: boolean;
  /** One class per sequence (seq-mnist): the context of a conditioned interface on a recurrent state. */
  sequenceLabels?: Uint8Array;
}

/**
 * The rings a stage reads (`input`, `messagesIn`) and writes (`output`, `messagesOut`): shared transport. Stage 0
 * has no input ring: its batches come in "batches" messages.
 */
export interface StageRings {
  kind: "rings";
  input?: SharedArrayBuffer;
  output?: SharedArrayBuffer;
  messagesIn?: SharedArrayBuffer;
  messagesOut?: SharedArrayBuffer;
  /** Stage 0: say "consumed" once this few batches are left unread. */
  low: number;
}

/** One batch's result, from the last stage. */
export interface BatchResult {
  step: number;
  loss: number;
  correct: number;
  rows: number;
  /** A sequence window: the counted steps' bits, summed. */
  bits?: number;
  /** A sequence window: the counted steps (what `correct` is out of). */
  counted?: number;
}

/** Coordinator -> stage. */
export type ToStage =
  | {
    kind: "init";
    spec: NetworkSpec;
    /** The plugin modules to load into the stage's registries before building the network (`network.plugins`). */
    plugins: string[];
    /**
     * Over NATS: the same plugins with the SHA-256 of their source; a stage process loads none of them itself, and
     * refuses the run unless each is one its own command line named (`deno task stage --plugin`).
     */
    pluginIds?: { url: string; sha256: string }[];
    /** Over NATS: each stage process's own id (the `instance` of its sealed messages), by stage. */
    instances?: string[];
    seed: number;
    /** The coordinator's TF.js backend: the stage runs on it too. */
    backend: string;
    transport: Transport;
    /** The network's variables (`Network.variables` order): the stage starts from them. */
    weights: Float32Array[];
    /**
     * The network's training state besides its weights (optimizers, interfaces' own state, carried states; see
     * `_training_state.ts`): the stage starts from it too. Absent: a plugin's optimizer cannot export it, and the
     * stage starts from fresh optimizers.
     */
    state?: TrainingState;
    /** The stage's index, and the flags of who is asleep (shared transport; see `Doorbells`). */
    index: number;
    bells?: SharedArrayBuffer;
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
  | StageRings
  | { kind: "batches"; items: Forward[]; sent: number }
  | { kind: "wake"; sent: number }
  | { kind: "collect" };

/** The coordinator's "init" of a stage. */
export type StageInit = Extract<ToStage, { kind: "init" }>;

/**
 * A stage's memory, in bytes: its isolate's JavaScript heap (`Deno.memoryUsage()`: used, total, and `external`,
 * the array buffers and such it holds outside that heap), and its TF.js wasm heap (wasm and native backends; 0
 * otherwise), which only grows.
 */
export interface StageMemory {
  heapUsed: number;
  heapTotal: number;
  external: number;
  wasmHeap: number;
}

/** Stage -> coordinator. */
export type FromStage =
  | { kind: "ready"; backend: string }
  | { kind: "consumed"; count: number }
  | { kind: "done"; results: BatchResult[] }
  | {
    kind: "collected";
    weights: Float32Array[];
    /** The training state of what the stage trains (`stageOwns`), when the init had one. */
    state?: TrainingState;
    /** The own numbers of the stage's interfaces since the last collect (`interfaceDiagnostics`). */
    diagnostics: InterfaceDiagnostics[];
    busySeconds: number;
    waitSeconds: number;
    maxOutstanding: number;
    /** Updates the stage left out since the last collect (`onNonFinite: "skip"`). */
    skippedUpdates: number;
    /** Messages the stage dropped since the last collect: malformed, out of order or unexpected (see `stageLoop`). */
    dropped: number;
    /** Where the stage's time went since the last collect (ms), over how many batches, and messages it posted. */
    times: StageTimes;
    batches: number;
    posts: number;
    /** Bytes the stage sent (over NATS; 0 in a Worker). */
    bytes: number;
    /** Live tensors in the stage's Worker, once its weights are read. */
    tensors: number;
    /** The stage's memory then (see `StageMemory`). */
    memory: StageMemory;
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
