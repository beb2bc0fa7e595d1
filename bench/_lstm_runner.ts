// The LSTM cases of the speed benchmarks (bench/lstm_speed.ts; `deno task speed` may add them as rows): dni's training
// step of a recurrent network on a backend, and the PyTorch peer (bench/peers/torch_lstm.py), each a runner with
// `steps(case, n)`: ms per step over `n` timed steps.
//
//   seq-mnist  LSTM 128 over 28 steps of 28 pixels, dense 10 on the last step (the mask), full BPTT (one window of
//              28), batch 32, Adam: examples/seq_mnist_lstm_bptt.json on a random batch. A step is one batch.
//   copy-dni   The copy task's DNI step: LSTM 128 with `sg` on its state, dense 8, batch 32, truncation T = 3,
//              examples/copy_lstm_dni.json on a copy batch of length 1 (3 steps: one window, where the state
//              interface has no future to predict). A step is one batch.
//   copy-dni-10 The same on a copy batch of length 10 (21 steps: 7 windows, the synthetic gradient at 6 window
//              boundaries). A step is one batch.
import { tf } from "../deps.ts";
import { useBackend } from "../backend.ts";
import { buildNetwork } from "../network/build.ts";
import type { Network } from "../network/network.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { trainSequenceBatch } from "../recurrent/tbptt.ts";
import type { SequenceTensors } from "../recurrent/tbptt.ts";
import { toTensors } from "../recurrent/sequence_data.ts";
import { copyBatch } from "../sequence/copy_task.ts";
import { Random } from "../random.ts";
import { setLstmFused } from "../layers/_lstm_fused.ts";
import { type RunnerOptions, torchServer } from "./_speed_runners.ts";

/** The cases. */
export const LSTM_CASES = ["seq-mnist", "copy-dni", "copy-dni-10"] as const;
/** One of `LSTM_CASES`. */
export type LstmCase = typeof LSTM_CASES[number];

/** A timed party: `native` (fused LSTM kernels), `native-composite` (the same backend, kernels off), `wasm`, `pytorch`. */
export interface LstmRunner {
  key: string;
  /** The cases it runs (PyTorch: seq-mnist only). */
  cases: readonly LstmCase[];
  /** ms per step over `n` timed steps of `c` (after a few untimed ones). */
  steps(c: LstmCase, n: number): Promise<number>;
  close(): Promise<void>;
}

const BATCH = 32;

async function spec(name: string): Promise<NetworkSpec> {
  return JSON.parse(await Deno.readTextFile(new URL(`../examples/${name}`, import.meta.url))) as NetworkSpec;
}

function seqMnistBatch(): SequenceTensors {
  const time = 28, features = 28, outputs = 10, r = new Random(1);
  const x = new Float32Array(BATCH * time * features).map(() => r.next());
  const targets = new Float32Array(BATCH * time * outputs), mask = new Float32Array(BATCH * time);
  for (let s = 0; s < BATCH; s++) {
    const last = s * time + time - 1;
    targets[last * outputs + Math.floor(r.next() * outputs)] = 1;
    mask[last] = 1;
  }
  return toTensors({ x, targets, mask, size: BATCH, time, features, outputs });
}

/**
 * dni on `backend` (`native-composite`: native with the fused LSTM kernels off, the path before them); the
 * networks and batches are made now and warmed up with `warmup` steps.
 */
export async function dniLstmRunner(key: "native" | "native-composite" | "wasm", warmup = 3): Promise<LstmRunner> {
  const backend = key === "wasm" ? "wasm" : "native";
  const fused = key === "native";
  await useBackend(backend);
  setLstmFused(fused);
  const parties: Record<LstmCase, { net: Network; batch: SequenceTensors; truncation: number }> = {
    "seq-mnist": { net: buildNetwork(await spec("seq_mnist_lstm_bptt.json")), batch: seqMnistBatch(), truncation: 28 },
    "copy-dni": {
      net: buildNetwork(await spec("copy_lstm_dni.json")),
      batch: toTensors(copyBatch(new Random(2), BATCH, 1)),
      truncation: 3,
    },
    "copy-dni-10": {
      net: buildNetwork(await spec("copy_lstm_dni.json")),
      batch: toTensors(copyBatch(new Random(3), BATCH, 10)),
      truncation: 3,
    },
  };
  const run = (c: LstmCase, n: number) => {
    const p = parties[c];
    for (let i = 0; i < n; i++) trainSequenceBatch(p.net, p.batch, { truncation: p.truncation });
  };
  for (const c of LSTM_CASES) run(c, warmup);
  return {
    key,
    cases: LSTM_CASES,
    async steps(c, n) {
      await useBackend(backend);
      setLstmFused(fused);
      run(c, 1);
      const t0 = performance.now();
      run(c, n);
      const ms = (performance.now() - t0) / n;
      setLstmFused(true);
      return ms;
    },
    close() {
      for (const p of Object.values(parties)) {
        p.net.dispose();
        tf.dispose(Object.values(p.batch));
      }
      return Promise.resolve();
    },
  };
}

/** The PyTorch peer on `threads` threads (`python`: one with torch), or why it cannot run. */
export async function torchLstmRunner(python: string, threads: number): Promise<LstmRunner | { reason: string }> {
  const options: RunnerOptions = { steps: true, epochs: false, threads, python, warmup: 5, settle: 1, gemmReps: 1 };
  const script = new URL("./peers/torch_lstm.py", import.meta.url).pathname;
  const peer = await torchServer(script, ["--threads", `${threads}`, "--warmup", "5"], options);
  if ("reason" in peer) return peer;
  const { runner } = peer;
  return {
    key: "pytorch",
    cases: ["seq-mnist"],
    steps: (c, n) => runner.steps!(c as never, n),
    close: () => runner.close!(),
  };
}
