// Private: the one contract of a pipeline's transports (how stages hand each other arrays, and how the coordinator
// reaches them): each transport is one object that makes both sides, the coordinator's (`open`: start the stages and
// reach them; `feeder`: hand steps to stage 0) and the stage's (`links`: its way in and out, see
// `../stage/_links.ts`). The pipeline picks one from `TRANSPORTS` (`_transports.ts`) by the name of its `transport`
// option (`Transport`, `../profile.ts`).
import type { Batch } from "../../datasets/dataset.ts";
import type { Network } from "../../network/network.ts";
import type { Stage } from "../partition.ts";
import type { PipelineNatsOptions } from "../pipeline_options.ts";
import type { Transport } from "../profile.ts";
import type { FromStage, StageInit, ToStage, WindowMeta } from "../protocol.ts";
import type { StageLinks, StagePlace } from "../stage/_links.ts";
import type { StagePool } from "./_pool.ts";

/** Posts batches to stage 0; says when it has room for more. */
export interface Feeder {
  /** The flags of who is asleep, for the stages' init messages (shared transport). */
  readonly bells?: SharedArrayBuffer;
  /** Messages posted to the stages so far. */
  readonly posts: number;
  /** Called with an epoch's first batch before it is fed. */
  begin(first: Batch): void;
  /** Whether stage 0 has room for another batch. */
  hasRoom(): boolean;
  /** Sends batch `b` (a sequence window, with its `window`) as step `step`. */
  feed(step: number, b: Batch & { window?: WindowMeta }): void;
  /** Called after feeding (`more`: batches are left): sends what waits; true if stage 0 has room again already. */
  fed(more: boolean): boolean;
  /** Called once the epoch's last batch is fed. */
  exhausted(): void;
  /** Stage 0 said "consumed". */
  consumed(count: number): void;
}

/** What a stage's message (or, as a string, its crash) means for the run: the error that ends it, or null. */
export type StageFailure = (k: number, m: FromStage | string) => Error | null;

/** What the coordinator needs to open a transport's stages. */
export interface OpenOptions {
  /** The network the stages train. */
  network: Network;
  /** How many stages. */
  count: number;
  /** See `StageFailure`. */
  failure: StageFailure;
  /** The coordinator's TF.js backend. */
  backend: string;
  /** Over NATS: the server, the run, and whether to start the stage processes here. */
  nats?: PipelineNatsOptions;
}

/** A transport's stages, started and reachable. */
export interface OpenStages {
  /** The stages as the coordinator reaches them. */
  pool: StagePool<ToStage, FromStage>;
  /** Gives back what opening held (one BLAS thread per Worker); safe to call more than once. */
  release: () => void;
  /** Over NATS: the plugins with the SHA-256 of their source, for every stage's init. */
  pluginIds?: { url: string; sha256: string }[];
}

/** One way for a pipeline's stages to hand each other arrays, both sides of it. */
export interface PipelineTransport {
  /** Its name, the pipeline's `transport` option. */
  readonly name: Transport;
  /** Whether a sequence network's windows travel in it (else a pipeline of one runs over `messages`). */
  readonly carriesWindows: boolean;
  /** The coordinator's side: starts the stages (Workers, or claims stage processes) and reaches them. */
  open(options: OpenOptions): Promise<OpenStages>;
  /** The coordinator's side: what hands steps to stage 0. */
  feeder(pool: StagePool<ToStage, FromStage>, network: Network, stages: Stage[], staleness: number): Feeder;
  /** The stage's side: its links, from its init and place (its ports to the neighbours already in `place`). */
  links(init: StageInit, place: StagePlace): StageLinks;
}
