// Private: the messages transport (the first one; kept to compare, and what a sequence network's windows and the
// NATS transport travel in): every batch, activation and message in a message of its own, its values copied into an
// array and transferred; stage 0 says "consumed" and the last stage "done" once per batch.
import type { tf } from "../../deps.ts";
import type { Batch } from "../../datasets/dataset.ts";
import type { BatchResult, Forward, FromStage, Message, ToStage, WindowMeta } from "../protocol.ts";
import type { Refusal } from "../_refusals.ts";
import type { StageLinks, StagePlace } from "../stage/_links.ts";
import { stamp } from "../stage/_clock.ts";
import { openWorkers, type StagePool } from "./_pool.ts";
import type { Feeder, PipelineTransport } from "./_transport.ts";
import { batchesRefusal, ringsRefusal } from "./shared/_validate.ts";

/** The messages transport: stages in Workers, every item in a message of its own. */
export const messages: PipelineTransport = {
  name: "messages",
  carriesWindows: true,
  open: ({ count, failure }) => Promise.resolve(openWorkers(count, failure)),
  feeder: (pool, _network, _stages, staleness) => new MessageFeeder(pool, staleness + 2),
  links: (_init, place) => new MessageLinks(place),
};

// Every batch transferred in its message; stage 0 says "consumed" for each.
export class MessageFeeder implements Feeder {
  readonly #pool: StagePool<ToStage, FromStage>;
  readonly #depth: number;
  #queued = 0;
  posts = 0;

  constructor(pool: StagePool<ToStage, FromStage>, depth: number) {
    this.#pool = pool;
    this.#depth = depth;
  }

  begin(): void {}
  hasRoom = (): boolean => this.#queued < this.#depth;
  fed = (_more: boolean): boolean => false;
  exhausted(): void {}

  feed(step: number, b: Batch & { window?: WindowMeta }): void {
    this.#queued++;
    const window = b.window ? { window: b.window } : {};
    const m: ToStage = { kind: "forward", step, x: b.x, rows: b.size, labels: b.labels, ...window, sent: stamp() };
    this.#pool.post(0, m, [b.x.buffer]);
    this.posts++;
  }

  consumed(count: number): void {
    this.#queued -= count;
  }
}

/**
 * Every item in a message of its own, its values copied into an array and transferred (over NATS: encoded and
 * published, see `nats/stage.ts`).
 */
export class MessageLinks implements StageLinks {
  readonly #place: StagePlace;
  readonly #inputs: Forward[] = [];
  readonly #messages: Message[] = [];

  constructor(place: StagePlace) {
    this.#place = place;
  }

  nextMessage = (): Message | undefined => this.#messages[0];
  takeMessage = (): void => void this.#messages.shift();
  nextInput = (): Forward | undefined => this.#inputs[0];
  takeInput = (): void => void this.#inputs.shift();

  forward(step: number, rows: number, labels: Uint8Array, output: tf.Tensor, window?: WindowMeta): void {
    const x = output.dataSync().slice() as Float32Array<ArrayBuffer>;
    this.#place.clock.lap("copies");
    const m: Forward = { kind: "forward", step, x, rows, labels, ...(window ? { window } : {}), sent: stamp() };
    this.#place.up!.postMessage(m, [
      x.buffer,
    ]);
    this.#place.clock.posted();
  }

  message(step: number, parts: tf.Tensor[]): void {
    const [gradient, factor] = parts.map((t) => t.dataSync().slice() as Float32Array<ArrayBuffer>);
    const m: Message = { kind: "message", step, gradient: gradient ?? null };
    if (factor) m.factor = { values: factor, shape: parts[1]!.shape as [number, number] };
    this.#place.clock.lap("copies");
    m.sent = stamp();
    this.#place.down!.postMessage(m, [gradient, factor].filter((a) => a !== undefined).map((a) => a.buffer));
    this.#place.clock.posted();
  }

  consumed(): void {
    this.#place.post({ kind: "consumed", count: 1 });
    this.#place.clock.posted();
  }

  result(r: BatchResult): void {
    this.#place.post({ kind: "done", results: [r] });
    this.#place.clock.posted();
  }

  refusal(m: ToStage, place: { idle: boolean; first: boolean; last: boolean }): Refusal | undefined {
    if (m.kind === "rings") return ringsRefusal(m, { ...place, shared: false });
    if (m.kind === "batches") return batchesRefusal(m.items, false);
    return undefined;
  }

  deliver(m: ToStage): boolean {
    if (m.kind === "forward") this.#inputs.push(m);
    else if (m.kind === "message") this.#messages.push(m);
    return true;
  }

  sleep(): boolean {
    return true;
  }
}
