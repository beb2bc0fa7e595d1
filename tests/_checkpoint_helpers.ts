// Shared helpers for the checkpoint tests: small networks of every interface kind, trained a little.
import { tf } from "../deps.ts";
import { batches, type Dataset } from "../datasets/dataset.ts";
import { syntheticDataset } from "../datasets/synthetic.ts";
import { buildNetwork } from "../network/build.ts";
import type { Network } from "../network/network.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { batchTensors } from "../training/evaluate.ts";

/** 16 features, 4 classes, 256 training examples. */
export const data: Dataset = syntheticDataset({ features: 16, classes: 4, trainCount: 256, testCount: 64, seed: 3 });

/** A 16-12-10-4 network with batch norm, every hidden layer bound to `iface` (a name or config). */
export function specWith(iface: string | Record<string, unknown>, optimizer: unknown = "adam"): NetworkSpec {
  return {
    input: [16],
    layers: [
      { type: "dense", units: 12, activation: "relu", batchNorm: true, interface: iface as string },
      { type: "dense", units: 10, activation: "relu", batchNorm: true, interface: iface as string },
      { type: "dense", units: 4 },
    ],
    optimizer: optimizer as string,
  };
}

/** The interfaces of the round-trip tests: backprop, sg, and csg with a batch-normed hidden synthesizer layer. */
export const INTERFACES: [string, string | Record<string, unknown>][] = [
  ["backprop", "backprop"],
  ["sg", "sg"],
  ["csg", { type: "csg", hidden: [8], batchNorm: true, optimizer: "rmsprop" }],
];

/** Builds `spec` and trains it for `steps` batches of 32. */
export function trained(spec: NetworkSpec, steps: number, seed = 1): Network {
  const net = buildNetwork(spec);
  let i = 0;
  for (const b of batches(data.train, data.features, 32, seed)) {
    if (i++ === steps) break;
    const { x, labels } = batchTensors(b, data.features, data.classes);
    net.trainStep(x, labels);
    tf.dispose([x, labels]);
  }
  return net;
}

/** Every variable's values. */
export function values(net: Network): Float32Array[] {
  return net.variables.map((v) => v.dataSync().slice() as Float32Array);
}

/** The network's class probabilities (evaluation mode) on the test split. */
export function predictions(net: Network): Float32Array {
  const x = tf.tensor2d(data.test.x, [data.test.count, data.features]);
  const p = net.predict(x);
  const out = p.dataSync().slice() as Float32Array;
  tf.dispose([x, p]);
  return out;
}

/** A fresh temporary directory; the checkpoint path inside it is `${dir}/ckpt`. */
export async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "dni-checkpoint-test-" });
}

/** The names in a directory, sorted. */
export async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}
