// The cases `deno task speed` times (bench/speed.ts): dni on a backend, the GEMM ceiling, and the PyTorch peer, each
// a Runner that times steps of an interface's training step and/or one epoch.
import { tf } from "../deps.ts";
import { useBackend } from "../backend.ts";
import type { Blas } from "../native/blas.ts";
import type { Dataset } from "../datasets/dataset.ts";
import type { Network } from "../network/network.ts";
import { train } from "../training/train.ts";
import { BATCH, fcn3, mnistBatch } from "./_models.ts";
import { type Gemm, gemmBuffers, runGemms, stepGemms } from "./_gemm_ceiling.ts";

/** The interfaces on every hidden layer that the cases train with. */
export const INTERFACES = ["backprop", "sg", "csg"] as const;
/** One of `INTERFACES`. */
export type Iface = typeof INTERFACES[number];

/** What the runners are asked to do, and how. */
export interface RunnerOptions {
  /** Time steps. */
  steps: boolean;
  /** Time epochs. */
  epochs: boolean;
  /** PyTorch's (and the BLAS's) threads. */
  threads: number;
  /** The python with torch. */
  python: string;
  /** Untimed steps per network before the first round. */
  warmup: number;
  /** Untimed steps before each timed step case (after a backend switch). */
  settle: number;
  /** Repetitions of the step's sgemm calls per round. */
  gemmReps: number;
}

/** A case that can be timed: steps of an interface's training step, and/or an epoch. */
export interface Runner {
  /** `native`, `wasm`, `pytorch` or `gemm`. */
  key: string;
  /** ms per step over `n` timed steps. */
  steps?(iface: Iface, n: number): Promise<number>;
  /** Seconds of one epoch of backprop over the 60,000 training examples. */
  epoch?(round: number): Promise<number>;
  close?(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// dni on a backend: the steps on a random MNIST-shaped batch (as bench/step_bench.ts), the epochs with train().

export async function dniRunner(
  key: "native" | "wasm",
  mnist: Dataset | undefined,
  o: RunnerOptions,
): Promise<Runner> {
  await useBackend(key);
  const batch = mnistBatch();
  const nets = new Map<Iface, Network>();
  const run = (net: Network, n: number) => {
    for (let i = 0; i < n; i++) net.trainStep(batch.x, batch.labels);
  };
  if (o.steps) {
    for (const iface of INTERFACES) {
      const net = fcn3(iface);
      run(net, o.warmup);
      nets.set(iface, net);
    }
  }
  let epochNet: Network | undefined;
  if (mnist) {
    epochNet = fcn3("backprop");
    const n = 10 * BATCH;
    const train0 = { x: mnist.train.x.subarray(0, n * mnist.features), labels: mnist.train.labels.subarray(0, n) };
    await train(epochNet, { ...mnist, train: { ...train0, count: n } }, { epochs: 1, validate: false, probeSize: 0 });
  }
  return {
    key,
    async steps(iface, n) {
      await useBackend(key);
      const net = nets.get(iface)!;
      run(net, o.settle);
      const t0 = performance.now();
      run(net, n);
      return (performance.now() - t0) / n;
    },
    async epoch(round) {
      await useBackend(key);
      const history = await train(epochNet!, mnist!, { epochs: 1, seed: round, validate: false, probeSize: 0 });
      return history.epochs[0]!.seconds;
    },
    close() {
      for (const net of nets.values()) net.dispose();
      epochNet?.dispose();
      tf.dispose([batch.x, batch.labels]);
      return Promise.resolve();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The GEMM ceiling: the sgemm calls of one step, called directly through the BLAS library on float32 buffers.

export interface GemmRunner extends Runner {
  calls: Record<Iface, Gemm[]>;
  /** Per interface, per round: ms per call (mean over the repetitions), in call order. */
  perCall: Record<Iface, number[][]>;
}

export function gemmRunner(blas: Blas, o: RunnerOptions): GemmRunner {
  const calls = Object.fromEntries(INTERFACES.map((i) => [i, stepGemms(i)])) as Record<Iface, Gemm[]>;
  const perCall = Object.fromEntries(INTERFACES.map((i) => [i, []])) as unknown as Record<Iface, number[][]>;
  const buffers = Object.fromEntries(INTERFACES.map((i) => [i, gemmBuffers(calls[i])])) as Record<
    Iface,
    ReturnType<typeof gemmBuffers>
  >;
  const sequence = (iface: Iface, times?: number[]) => runGemms(blas, calls[iface], buffers[iface], times);
  return {
    key: "gemm",
    calls,
    perCall,
    steps(iface) {
      sequence(iface);
      const times = calls[iface].map(() => 0);
      for (let r = 0; r < o.gemmReps; r++) sequence(iface, times);
      const ms = times.map((t) => t / o.gemmReps);
      perCall[iface].push(ms);
      return Promise.resolve(ms.reduce((s, t) => s + t, 0));
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// PyTorch: bench/peers/torch_fcn3.py --serve, one process for the whole run, asked for each case in turn.

export interface TorchInfo {
  torch: string;
  threads: number;
  torchThreads: number;
  blas: string | null;
  blasThreads: number | null;
}

const PEER = new URL("./peers/torch_fcn3.py", import.meta.url).pathname;

export function torchRunner(o: RunnerOptions): Promise<{ runner: Runner; info: TorchInfo } | { reason: string }> {
  const args = ["--dni", "--threads", `${o.threads}`];
  if (!o.steps) args.push("--epochs-only");
  if (!o.epochs) args.push("--steps-only");
  return torchServer(PEER, args, o);
}

/**
 * A PyTorch peer that serves requests: `python3 SCRIPT --serve ARGS...` prints one JSON line about itself (its
 * `TorchInfo`), then answers each line it reads, `steps IFACE N` with `{"ms": ...}` (ms per step) and `epoch` with
 * `{"seconds": ...}` (or `{"error": ...}`), until `quit`. The FCN-3's (bench/peers/torch_fcn3.py) and any other
 * model's peer speak it.
 */
export async function torchServer(
  script: string,
  extra: string[],
  o: RunnerOptions,
): Promise<{ runner: Runner; info: TorchInfo } | { reason: string }> {
  const PEER = script;
  const args = [script, "--serve", ...extra];
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(o.python, { args, stdin: "piped", stdout: "piped", stderr: "piped" }).spawn();
  } catch (error) {
    return { reason: `${o.python} could not be started (${error instanceof Error ? error.message : error})` };
  }
  let stderr = "";
  const stderrDone = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (stderr += chunk) }),
  );
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const writer = child.stdin.getWriter();
  let pending = "";
  const readLine = async (): Promise<string | null> => {
    while (!pending.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) return null;
      pending += value;
    }
    const at = pending.indexOf("\n");
    const line = pending.slice(0, at);
    pending = pending.slice(at + 1);
    return line;
  };
  const lastError = () => stderr.trim().split("\n").at(-1) || "no message";
  const ask = async (request: string): Promise<Record<string, number>> => {
    await writer.write(new TextEncoder().encode(`${request}\n`));
    const line = await readLine();
    if (line === null) throw new Error(`the PyTorch peer exited during "${request}": ${lastError()}`);
    const reply = JSON.parse(line);
    if (reply.error) throw new Error(`the PyTorch peer failed "${request}": ${reply.error}`);
    return reply;
  };
  const first = await readLine();
  if (first === null) {
    await stderrDone.catch(() => {});
    await child.status;
    return { reason: `${o.python} ${PEER.split("/").slice(-3).join("/")} did not start: ${lastError()}` };
  }
  const info = JSON.parse(first) as TorchInfo;
  return {
    info,
    runner: {
      key: "pytorch",
      steps: async (iface, n) => (await ask(`steps ${iface} ${n}`)).ms!,
      epoch: async () => (await ask("epoch")).seconds!,
      async close() {
        await writer.write(new TextEncoder().encode("quit\n"));
        await writer.close();
        await reader.cancel();
        await stderrDone.catch(() => {});
        await child.status;
      },
    },
  };
}
