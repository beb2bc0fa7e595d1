/**
 * The data of figure (c): real training runs of MNIST FCN-3 (784-256-256-256-10, ReLU, batch 128, Adam 1e-3) with
 * every hidden layer on one interface (`sg`, `csg`, `local-loss`), and after every `every` steps the cosine between
 * the gradient each hidden layer gets and the true one (backprop's), from the `History`'s per-interface probe.
 *
 * @module
 */
import { buildNetwork, loadDataset, train } from "../mod.ts";
import type { NetworkSpec } from "../mod.ts";
import { round } from "./_io.ts";

/** One interface's run: per hidden layer, the cosine to the true gradient after each probe. */
export interface CosineRun {
  interface: string;
  /** Steps (batches) trained when each probe ran. */
  steps: number[];
  /** `cosines[layer][k]`: layer `layer`'s cosine at `steps[k]`. */
  cosines: number[][];
  /** Test accuracy after the last step. */
  testAccuracy: number;
  /** Seconds of training. */
  seconds: number;
}

/** What figure (c) drew. */
export interface CosineData {
  spec: string;
  seed: number;
  batchSize: number;
  steps: number;
  every: number;
  trainCount: number;
  /** Test examples the accuracy is measured on. */
  testCount: number;
  runs: CosineRun[];
}

/** The FCN-3 spec with every hidden layer on `iface`. */
export function fcn3(iface: string): NetworkSpec {
  const hidden = { type: "dense", units: 256, activation: "relu", interface: iface } as const;
  return {
    input: [784],
    layers: [hidden, hidden, hidden, { type: "dense", units: 10 }],
    loss: "softmax-cross-entropy",
    optimizer: { type: "adam", learningRate: 0.001 },
  };
}

/** Trains FCN-3 under each interface for `steps` batches, probing every `every`. */
export async function cosineRuns(
  { interfaces = ["sg", "csg", "local-loss"], steps = 600, every = 50, seed = 1, trainCount = 20000 } = {},
): Promise<CosineData> {
  const testCount = 2000;
  const mnist = await loadDataset("mnist", { trainCount, testCount });
  const runs: CosineRun[] = [];
  for (const iface of interfaces) {
    const net = buildNetwork(fcn3(iface), { seed });
    const history = await train(net, mnist, { steps, stepsPerEpoch: every, batchSize: 128, seed });
    const layers = [0, 1, 2];
    runs.push({
      interface: iface,
      steps: history.epochs.map((e) => e.epoch * every),
      cosines: layers.map((l) =>
        history.epochs.map((e) => round(e.interfaces?.find((d) => d.layer === l)?.cosine ?? NaN))
      ),
      testAccuracy: round(history.epochs.at(-1)?.testAccuracy ?? NaN),
      seconds: round(history.seconds),
    });
    net.dispose();
    console.error(`(c) ${iface}: ${steps} steps in ${history.seconds.toFixed(1)} s`);
  }
  const spec = "FCN-3 784-256-256-256-10 ReLU, Adam 1e-3";
  return { spec, seed, batchSize: 128, steps, every, trainCount, testCount, runs };
}

if (import.meta.main) console.log(JSON.stringify(await cosineRuns({ steps: 100, every: 50 }), null, 1));
