// Private: the models `deno task speed` times beside the MNIST FCN-3: the CNN (bench/_cnn_runner.ts) and the LSTMs
// (bench/_lstm_runner.ts), each with its runners (dni on native and wasm, its PyTorch peer) of its step cases. The
// FCN-3's own runners (with its epochs and GEMM ceiling) stay in _speed_runners.ts.
import { cnnRunners } from "./_cnn_runner.ts";
import { dniLstmRunner, LSTM_CASES, torchLstmRunner } from "./_lstm_runner.ts";
import { INTERFACES, type RunnerOptions } from "./_speed_runners.ts";
import { nativeBlas } from "../native/backend.ts";

/** A runner of a model's step cases. */
export interface ModelRunner {
  /** `native`, `wasm`, `pytorch`. */
  key: string;
  /** The cases it can time (a PyTorch peer may time fewer). */
  cases: readonly string[];
  /** ms per step over `n` timed steps of case `c`. */
  steps(c: string, n: number): Promise<number>;
  close(): Promise<void>;
}

/** A model `deno task speed` times: its step cases, on each of its runners. */
export interface ModelBench {
  /** Its short name in the table and on the command line, e.g. `cnn`. */
  model: string;
  /** What it is, for the text under the table. */
  what: string;
  /** Examples (sequences) per step. */
  batch: number;
  /** What a step's batch holds: `samples` or `sequences`. */
  unit: string;
  /** Its step cases: the interfaces it is timed under, or named cases. */
  cases: readonly string[];
  runners: ModelRunner[];
  /** Lines for the text under the table (what was skipped, how the peer differs). */
  notes: string[];
}

/** The models besides `fcn3`, by name: each makes its bench for the run's options. */
export const MODELS: Record<string, (o: RunnerOptions) => Promise<ModelBench>> = {
  async cnn(o) {
    const notes: string[] = [];
    const runners = await cnnRunners({
      threads: o.threads,
      python: o.python,
      onSkip: (key, reason) => notes.push(`${key} skipped: ${reason}`),
    });
    return {
      model: "cnn",
      what: "the MNIST CNN of examples/cnn_backprop.json (conv16 5x5 + batch norm + ReLU, max pool 2, conv32 5x5 + " +
        "batch norm + ReLU, max pool 2, dense 10; Adam), sg and csg on both conv layers; PyTorch times backprop only",
      batch: 128,
      unit: "samples",
      cases: INTERFACES,
      runners: runners.map((r) => ({
        key: r.key,
        cases: r.interfaces,
        steps: (c, n) => r.steps(c as typeof INTERFACES[number], n),
        close: () => r.close(),
      })),
      notes,
    };
  },
  async lstm(o) {
    const notes: string[] = [];
    const runners: ModelRunner[] = [];
    if ("reason" in nativeBlas()) notes.push(`native skipped: ${(nativeBlas() as { reason: string }).reason}`);
    else runners.push(await dniLstmRunner("native"));
    runners.push(await dniLstmRunner("wasm"));
    const torch = await torchLstmRunner(o.python, o.threads);
    if ("reason" in torch) notes.push(`pytorch skipped: ${torch.reason}`);
    else runners.push(torch);
    return {
      model: "lstm",
      what: "seq-mnist: examples/seq_mnist_lstm_bptt.json (LSTM 128 over 28 rows of 28 pixels, dense 10 on the last " +
        "state, full BPTT); copy-dni: examples/copy_lstm_dni.json (LSTM 128, DNI on its state, truncation 3) on a " +
        "copy batch of length 1, copy-dni-10 on one of length 10 (7 windows); PyTorch times seq-mnist only",
      batch: 32,
      unit: "sequences",
      cases: LSTM_CASES,
      runners,
      notes,
    };
  },
};
