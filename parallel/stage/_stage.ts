// Private: a pipeline stage as its init makes it: the whole network built from the spec on the coordinator's backend
// and weights (in the registries the host gives for the init's plugins), its layers `lo..hi`, its place in the
// pipeline and the links its transport makes; and what it reports of itself at an epoch's end (`stageMemory`).
import { tf } from "../../deps.ts";
import { useBackend } from "../../backend.ts";
import type { Registries } from "../../network/registries.ts";
import type { FromStage, StageInit, StageMemory, ToStage } from "../protocol.ts";
import { pluginRegistries, workerNetwork } from "../_worker_network.ts";
import { setTrainingState } from "../_training_state.ts";
import type { StageClock } from "./_clock.ts";
import type { MakeLinks, StageLinks, StagePlace } from "./_links.ts";

/** The stage's network. */
export type StageNetwork = ReturnType<typeof workerNetwork>;

/** A stage, initialised. */
export interface Stage {
  net: StageNetwork;
  index: number;
  lo: number;
  hi: number;
  last: boolean;
  staleness: number;
  messageBelow: boolean;
  links: StageLinks;
  inputWidth: number;
  outputWidth: number;
  classes: number;
  fail?: string;
  /** Whether the init shipped the training state (then "collected" gives back the stage's part of it). */
  stateful: boolean;
}

const size = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1);

/**
 * Makes the stage `m` describes: sets the backend, builds the network in `registries(m.plugins)` (default: fresh
 * registries with the plugins loaded) at the coordinator's weights, checks the init's numbers and makes its links.
 *
 * @throws {RangeError} If the stage's index, layers or staleness are out of range.
 */
export async function makeStage(
  m: StageInit,
  post: (m: FromStage) => void,
  clock: StageClock,
  links: MakeLinks,
  handle: (m: ToStage) => void,
  registries: ((plugins: readonly string[]) => Promise<Registries>) | undefined,
): Promise<Stage> {
  await useBackend(m.backend);
  const net = workerNetwork(m.spec, m.seed, await (registries ?? pluginRegistries)(m.plugins), m.weights);
  if (m.state !== undefined) setTrainingState(net, m.state);
  const { index, lo, hi, staleness } = m;
  const count = (v: number, max = Number.MAX_SAFE_INTEGER) => Number.isSafeInteger(v) && v >= 0 && v <= max;
  if (!count(index) || !count(hi, net.layers.length - 1) || !count(lo, hi) || !count(staleness)) {
    net.dispose();
    throw new RangeError(
      `init: stage ${index}, layers ${lo}-${hi} of ${net.layers.length}, staleness ${staleness} are out of range`,
    );
  }
  net.onNonFinite = m.onNonFinite ?? "error";
  const place: StagePlace = {
    index,
    inputWidth: size(net.layers[lo]!.inputShape),
    outputWidth: size(net.layers[hi]!.outputShape),
    down: m.down,
    up: m.up,
    post,
    clock,
  };
  return {
    net,
    index,
    lo,
    hi,
    last: hi === net.layers.length - 1,
    staleness,
    messageBelow: m.messageBelow,
    links: links(m, place, handle),
    inputWidth: place.inputWidth,
    outputWidth: place.outputWidth,
    classes: net.outputUnits,
    fail: m.fail,
    stateful: m.state !== undefined,
  };
}

/** The stage's memory now: its isolate's heap and TF.js's wasm heap. */
export function stageMemory(): StageMemory {
  const { heapUsed, heapTotal, external } = Deno.memoryUsage();
  const wasm = (tf.backend() as { wasm?: { HEAPU8?: Uint8Array } }).wasm;
  return { heapUsed, heapTotal, external, wasmHeap: wasm?.HEAPU8?.buffer.byteLength ?? 0 };
}
