// Private: what a pipeline stage needs of its transport, the contract every transport's stage side fulfils
// (`../transport/`): where it posts (`StagePlace`) and its way in and out (`StageLinks`), made from its init by the
// host that runs the stage (`MakeLinks`: a Worker, `../transport/stage_worker.ts`; a process over NATS,
// `../transport/nats/stage.ts`).
import type { tf } from "../../deps.ts";
import type { Refusal } from "../_refusals.ts";
import type { BatchResult, Forward, FromStage, Message, StageInit, ToStage, WindowMeta } from "../protocol.ts";
import type { StageClock } from "./_clock.ts";

/** Where a stage posts to a neighbour: a MessagePort, or a NATS subject (`transport/nats/stage.ts`). */
export interface StagePort {
  postMessage(m: ToStage, transfer?: Transferable[]): void;
}

/** What a stage knows of its place in the pipeline. */
export interface StagePlace {
  /** Index of the stage. */
  index: number;
  /** Values per example of the stage's input and of its output. */
  inputWidth: number;
  outputWidth: number;
  /** Ports to the neighbours; `post` reaches the coordinator. */
  down?: StagePort;
  up?: StagePort;
  post: (m: FromStage) => void;
  clock: StageClock;
}

/** A stage's way in and out. `next*` peek; `take*` drops the item peeked, once its values are copied out. */
export interface StageLinks {
  nextMessage(): Message | undefined;
  takeMessage(m: Message): void;
  nextInput(): Forward | undefined;
  takeInput(f: Forward): void;
  /** Sends `step`'s output, with the batch's labels (and a sequence window's meta), to the stage above. */
  forward(step: number, rows: number, labels: Uint8Array, output: tf.Tensor, window?: WindowMeta): void;
  /** Sends `step`'s message to the stage below: its parts (one, two factors, or none for a skipped update). */
  message(step: number, parts: tf.Tensor[]): void;
  /** Stage 0 took a batch. */
  consumed(): void;
  /** The last stage has a batch's result. */
  result(r: BatchResult): void;
  /**
   * Why the initialised stage does not take `m` as it comes, if it does not: the transport's own messages (rings,
   * batches) and where items may come from. `place`: whether the stage awaits no message (`idle`), is the first or
   * the last. Items are checked when the stage gets to them.
   */
  refusal(m: ToStage, place: { idle: boolean; first: boolean; last: boolean }): Refusal | undefined;
  /** A message came (a port's or the coordinator's): returns whether the stage should look for work. */
  deliver(m: ToStage): boolean;
  /** The stage found nothing it may do: true if it may sleep, false if work came meanwhile (`canWork`). */
  sleep(canWork: () => boolean): boolean;
}

/** Makes the stage's links from its init and place; `handle` takes what comes in from elsewhere (ports). */
export type MakeLinks = (init: StageInit, place: StagePlace, handle: (m: ToStage) => void) => StageLinks;
