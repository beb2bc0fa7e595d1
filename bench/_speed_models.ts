// Private: the models `deno task speed` times beside the MNIST FCN-3, each with its runners (dni on native and wasm,
// its PyTorch peer) of the training step under each interface. A model's module gives a `ModelBench`; the FCN-3's
// own runners (with its epochs and GEMM ceiling) stay in _speed_runners.ts.
import type { Iface, Runner, RunnerOptions } from "./_speed_runners.ts";

/** A model `deno task speed` times: its steps under each interface, on each of its runners. */
export interface ModelBench {
  /** Its short name in the table and on the command line, e.g. `cnn`. */
  model: string;
  /** What it is, for the text under the table. */
  what: string;
  /** Examples (sequences) per step. */
  batch: number;
  /** What a step's batch holds: `samples` or `sequences`. */
  unit: string;
  /** The interfaces it is timed under. */
  interfaces: readonly Iface[];
  /** Its runners (`native`, `wasm`, `pytorch`), each timing `steps(iface, n)`. */
  runners: Runner[];
  /** Lines for the text under the table (what was skipped, how the peer differs). */
  notes: string[];
}

/** The models besides `fcn3`, by name: each makes its bench for the run's options. */
export const MODELS: Record<string, (o: RunnerOptions) => Promise<ModelBench>> = {};
