/**
 * What a pipeline's opt-in profile reports (`pipeline({ onProfile })`): per epoch, where each stage's time per
 * batch went, and what the main thread spent feeding the pipeline. `bench/pipeline_overhead.ts` prints it.
 *
 * @module
 */

/**
 * How a pipeline's stages hand each other arrays (activations forward, messages back, batches into stage 0):
 * `"shared"` writes them into slots of rings in shared memory (a `SharedArrayBuffer` per sender) and posts a small
 * message that holds a view of the slot; `"messages"` copies each into an array of its own and transfers it in the
 * message; `"nats"` encodes each as a message of its own and publishes it to a NATS subject, the stages being
 * processes on any host (`pipeline({ nats })`).
 */
export type Transport = "shared" | "messages" | "nats";

/** Milliseconds per batch of one pipeline stage, by what it spent them on. */
export interface StageTimes {
  /** The stage's layers and interfaces: forward, backward, updates, synthesizers (and a factored message's product). */
  compute: number;
  /** Making tensors of the values that came in (batch or activations, labels, message). */
  tensors: number;
  /** Reading values out of tensors into what is sent (ring slots or new arrays), loss and accuracy included. */
  copies: number;
  /** Posting messages (to the neighbouring stages and the main thread). */
  messaging: number;
  /** Idle while the message it was waiting for had already been posted: delivery. */
  transit: number;
  /** Idle otherwise: nothing had come yet, or it was as far ahead of the messages from above as `staleness` lets it. */
  waiting: number;
  /** The rest: bookkeeping between those (releasing a step's tensors, queues). */
  other: number;
}

/** One stage in a `PipelineProfile`. */
export interface StageProfile {
  /** The stage's first layer. */
  lo: number;
  /** The stage's last layer (inclusive). */
  hi: number;
  /** Milliseconds per batch, by part. */
  ms: StageTimes;
  /** Messages the stage posted per batch (to its neighbours and the main thread). */
  posts: number;
  /** Live TF.js tensors in the stage's Worker at the end of the epoch (flat from epoch to epoch: no leak). */
  tensors: number;
  /**
   * The stage's memory at the end of the epoch, in bytes: its JavaScript heap (used, total), what that heap holds
   * outside it (`external`: array buffers), and its TF.js wasm heap (wasm and native backends; 0 otherwise).
   */
  memory: { heapUsed: number; heapTotal: number; external: number; wasmHeap: number };
}

/** Where the time per batch of one pipeline epoch went. */
export interface PipelineProfile {
  /** The pipeline's transport. */
  transport: Transport;
  /** Batches in the epoch. */
  batches: number;
  /** Wall-clock milliseconds per batch, from the first batch fed to the last result heard. */
  msPerBatch: number;
  /** Milliseconds per batch the main thread spent making batches, handing them to stage 0 and taking results. */
  coordinatorMs: number;
  /** Messages the main thread posted to the stages per batch. */
  coordinatorPosts: number;
  /** Per stage, in order. */
  stages: StageProfile[];
}
