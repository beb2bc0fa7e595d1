// The MNIST CNN of examples/cnn_backprop.json (conv16 5x5 same + BN + ReLU, pool 2, conv32 5x5 same + BN + ReLU,
// pool 2, dense 10; Adam 1e-3; batch 128), in dni and in the PyTorch peer, as step runners for the speed benches.
import { tf } from "../deps.ts";
import { buildNetwork } from "../network/build.ts";
import type { Network } from "../network/network.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { setBlasThreads, useBackend } from "../backend.ts";
import { nativeBlas } from "../native/backend.ts";
import { setCnnKernels } from "../layers/_cnn_kernels.ts";
import { BATCH } from "./_models.ts";
import { type Iface, INTERFACES, type RunnerOptions, torchServer } from "./_speed_runners.ts";

/** The CNN spec with `iface` on both conv layers (as examples/cnn_backprop.json, cnn_sg.json, cnn_csg.json). */
export function cnnSpec(iface: string = "backprop"): NetworkSpec {
  const conv = (filters: number) => ({
    type: "conv2d",
    filters,
    kernelSize: 5,
    padding: "same",
    activation: "relu",
    batchNorm: true,
    interface: iface,
  });
  return {
    input: [28, 28, 1],
    layers: [
      conv(16),
      { type: "maxPool2d", poolSize: 2 },
      conv(32),
      { type: "maxPool2d", poolSize: 2 },
      { type: "flatten" },
      { type: "dense", units: 10 },
    ],
    loss: "softmax-cross-entropy",
    optimizer: { type: "adam", learningRate: 0.001 },
  };
}

/** The dni network of `cnnSpec`. */
export function cnn(iface?: string): Network {
  return buildNetwork(cnnSpec(iface));
}

/** A random MNIST-shaped image batch [128, 28, 28, 1] in [0, 1) and one-hot labels. */
export function cnnBatch(): { x: tf.Tensor4D; labels: tf.Tensor2D } {
  return tf.tidy(() => ({
    x: tf.randomUniform([BATCH, 28, 28, 1], 0, 1, "float32", 1) as tf.Tensor4D,
    labels: tf.oneHot(tf.randomUniform([BATCH], 0, 10, "int32", 2), 10).toFloat() as tf.Tensor2D,
  }));
}

/** A timed case of the CNN step: `steps(iface, n)` gives ms per step over `n` steps with `iface` on both conv layers. */
export interface CnnRunner {
  /** `native`, `native-composite` (native without the conv-net kernels: the path before them), `wasm`, `pytorch`. */
  key: string;
  /** The interfaces it can time (the PyTorch peer: backprop only). */
  interfaces: readonly Iface[];
  /** ms per step over `n` timed steps, after `settle` untimed ones (options). */
  steps(iface: Iface, n: number): Promise<number>;
  /** Frees the networks or stops the peer. */
  close(): Promise<void>;
}

/** What `cnnRunners` builds. */
export interface CnnRunnerOptions {
  /** Which cases: any of `native`, `native-composite`, `wasm`, `pytorch`. @default {["native", "wasm", "pytorch"]} */
  keys?: readonly string[];
  /** Interfaces to build networks for. @default {INTERFACES} */
  interfaces?: readonly Iface[];
  /** BLAS and PyTorch threads. @default {1} */
  threads?: number;
  /** The python with torch. @default {"/usr/bin/python3"} */
  python?: string;
  /** Untimed steps per network when built. @default {3} */
  warmup?: number;
  /** Untimed steps before each timed case (after a backend switch). @default {1} */
  settle?: number;
  /** Called with a line when a case cannot run (no BLAS, no torch): the case is left out. */
  onSkip?: (key: string, reason: string) => void;
}

/**
 * The CNN step runners, ready to time in alternation: dni on native (with and/or without the conv-net kernels), on
 * wasm, and the PyTorch peer (bench/peers/torch_cnn.py --serve, one process). Cases that cannot run are left out
 * (`onSkip` says why).
 */
export async function cnnRunners(options: CnnRunnerOptions = {}): Promise<CnnRunner[]> {
  const {
    keys = ["native", "wasm", "pytorch"],
    interfaces = INTERFACES,
    threads = 1,
    python = "/usr/bin/python3",
    warmup = 3,
    settle = 1,
    onSkip = () => {},
  } = options;
  const runners: CnnRunner[] = [];
  const blas = nativeBlas();
  for (const key of keys) {
    if (key === "pytorch") {
      const peer = await torchCnnRunner(python, threads);
      if ("reason" in peer) onSkip(key, peer.reason);
      else runners.push(peer);
      continue;
    }
    const backend = key === "wasm" ? "wasm" : "native";
    if (backend === "native" && "reason" in blas) {
      onSkip(key, blas.reason);
      continue;
    }
    runners.push(await dniCnnRunner(key, backend, key !== "native-composite", interfaces, threads, warmup, settle));
  }
  return runners;
}

async function dniCnnRunner(
  key: string,
  backend: "native" | "wasm",
  kernels: boolean,
  interfaces: readonly Iface[],
  threads: number,
  warmup: number,
  settle: number,
): Promise<CnnRunner> {
  const enter = async () => {
    await useBackend(backend);
    if (backend === "native") setBlasThreads(threads);
    return setCnnKernels(kernels);
  };
  const previous = await enter();
  const batch = cnnBatch();
  const run = (net: Network, n: number) => {
    for (let i = 0; i < n; i++) net.trainStep(batch.x, batch.labels);
  };
  const nets = new Map<Iface, Network>();
  for (const iface of interfaces) {
    const net = cnn(iface);
    run(net, warmup);
    nets.set(iface, net);
  }
  setCnnKernels(previous);
  return {
    key,
    interfaces,
    async steps(iface, n) {
      const before = await enter();
      try {
        const net = nets.get(iface)!;
        run(net, settle);
        const t0 = performance.now();
        run(net, n);
        return (performance.now() - t0) / n;
      } finally {
        setCnnKernels(before);
      }
    },
    async close() {
      await useBackend(backend);
      for (const net of nets.values()) net.dispose();
      tf.dispose([batch.x, batch.labels]);
    },
  };
}

const PEER = new URL("./peers/torch_cnn.py", import.meta.url).pathname;

async function torchCnnRunner(python: string, threads: number): Promise<CnnRunner | { reason: string }> {
  // The peer speaks the FCN-3 peer's --serve protocol (`torchServer`): steps only.
  const options: RunnerOptions = { steps: true, epochs: false, threads, python, warmup: 3, settle: 1, gemmReps: 1 };
  const peer = await torchServer(PEER, ["--threads", `${threads}`], options);
  if ("reason" in peer) return peer;
  const { runner } = peer;
  return {
    key: "pytorch",
    interfaces: ["backprop"],
    steps: (iface, n) => runner.steps!(iface, n),
    close: () => runner.close!(),
  };
}
