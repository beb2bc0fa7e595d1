/**
 * The data of figure (d): per epoch of MNIST (469 batches of 128, staleness 1), the speedup of a decoupled pipeline
 * on N hosts over one-thread backprop on one core, from the simulator (`../parallel/simulate/`) fed with each
 * module's times measured here on one core (`profileModules`), as `bench/simulate.ts` does. Each host is one core of
 * this machine; a Worker wakes 0.15 ms after a post and each item sent costs 0.05 ms (measured by
 * `bench/simulate.ts`, docs/simulator.md). One-thread backprop is measured on one core (one BLAS thread).
 *
 * @module
 */
import { setBlasThreads } from "../backend.ts";
import { batchTensors } from "../datasets/batch_tensors.ts";
import { batches, buildNetwork, loadDataset, type NetworkSpec, tf } from "../mod.ts";
import type { Dataset } from "../mod.ts";
import { profileModules, stagesFromProfile } from "../parallel/simulate/profile_modules.ts";
import { simulatePipeline } from "../parallel/simulate/simulate.ts";
import { round } from "./_io.ts";

/** One model on one link: the speedup at each host count. */
export interface SpeedupSeries {
  model: string;
  link: string;
  /** Milliseconds per batch of one-thread backprop on one core, measured. */
  backpropMs: number;
  hosts: number[];
  /** Simulated seconds per epoch at each host count. */
  seconds: number[];
  /** One-core backprop's seconds per epoch over the simulated ones (the median of the rounds). */
  speedup: number[];
  /** The rounds' lowest and highest speedup at each host count. */
  range: [number, number][];
}

/** What figure (d) drew. */
export interface SpeedupData {
  batchesPerEpoch: number;
  staleness: number;
  wakeMs: number;
  overheadMs: number;
  profileBatches: number;
  rounds: number;
  series: SpeedupSeries[];
}

/** An MLP of `depth` hidden ReLU layers of `width` units on MNIST, `iface` on each hidden layer. */
export function mlp(depth: number, width: number, iface: string): NetworkSpec {
  const hidden = { type: "dense", units: width, activation: "relu", interface: iface } as const;
  return {
    input: [784],
    layers: [...Array.from({ length: depth }, () => hidden), { type: "dense", units: 10 }],
    loss: "softmax-cross-entropy",
    optimizer: { type: "adam", learningRate: 0.001 },
  };
}

const LINKS = { "loopback": [0, Infinity], "1 Gbit/s, 0.2 ms": [0.2, 1.25e8] } as const;

// `count` batches of 128 from the training split, repeated as needed.
function* some(data: Dataset, count: number) {
  for (let seed = 1, n = 0;; seed++) {
    for (const b of batches(data.train, data.features, 128, seed)) {
      if (n++ >= count) return;
      yield b;
    }
  }
}

// Milliseconds per one-thread training step of `spec`, after 5 warm-up steps.
function stepMs(spec: NetworkSpec, data: Dataset, count: number): number {
  const net = buildNetwork(spec);
  let ms = 0, n = 0;
  for (const b of some(data, count + 5)) {
    const t = performance.now();
    const { x, labels } = batchTensors(b, data.features, data.classes);
    net.trainStep(x, labels);
    tf.dispose([x, labels]);
    if (n++ >= 5) ms += performance.now() - t;
  }
  net.dispose();
  return ms / count;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Profiles each model and simulates it on 1, 2, 4 and 8 hosts over each link, `rounds` times, one-thread backprop
 * measured again beside each profile (the machine is shared: its speed moves); each speedup is the median of the
 * rounds' speedups.
 */
export async function speedupRuns({
  models = [["FCN-3", 3, 256], ["MLP 8 x 1024", 8, 1024]] as [string, number, number][],
  interfaces = ["csg", "local-loss"],
  profileBatches = 30,
  hosts = [1, 2, 4, 8],
  rounds = 3,
} = {}): Promise<SpeedupData> {
  const data = await loadDataset("mnist", { trainCount: 12800, testCount: 100 });
  const batchesPerEpoch = 469, staleness = 1, wakeMs = 0.15, overheadMs = 0.05;
  setBlasThreads(1); // one core per host
  const series: SpeedupSeries[] = [];
  for (const [model, depth, width] of models) {
    for (const iface of interfaces) {
      const measured: { backpropMs: number; seconds: number[][] }[] = [];
      for (let r = 0; r < rounds; r++) {
        const backpropMs = stepMs(mlp(depth, width, "backprop"), data, profileBatches);
        const net = buildNetwork(mlp(depth, width, iface));
        const profile = profileModules(net, some(data, profileBatches + 10), { warmup: 10 });
        const seconds = Object.values(LINKS).map(([latencyMs, bandwidth]) =>
          hosts.map((count) =>
            simulatePipeline({
              stages: stagesFromProfile(net, profile, count),
              batches: batchesPerEpoch,
              staleness,
              latencyMs,
              bandwidth,
              overheadMs,
              wakeMs,
              feedMs: profile.feedMs,
            }).secondsPerEpoch
          )
        );
        net.dispose();
        measured.push({ backpropMs, seconds });
      }
      Object.keys(LINKS).forEach((link, l) => {
        const speedups = measured.map((m) => m.seconds[l]!.map((s) => (m.backpropMs * batchesPerEpoch) / 1000 / s));
        series.push({
          model: `${model} ${iface}`,
          link,
          backpropMs: round(median(measured.map((m) => m.backpropMs))),
          hosts,
          seconds: hosts.map((_, h) => round(median(measured.map((m) => m.seconds[l]![h]!)))),
          speedup: hosts.map((_, h) => round(median(speedups.map((s) => s[h]!)), 3)),
          range: hosts.map((_, h) => {
            const at = speedups.map((s) => s[h]!);
            return [round(Math.min(...at), 3), round(Math.max(...at), 3)] as [number, number];
          }),
        });
      });
      console.error(`(d) ${model} ${iface}: ${rounds} rounds profiled`);
    }
  }
  return { batchesPerEpoch, staleness, wakeMs, overheadMs, profileBatches, rounds, series };
}
