/**
 * The data of figure (a): one spec, MNIST FCN-3 (784-256-256-256-10, ReLU, Adam 1e-3), trained 200 steps (batch
 * 128, seed 1) under each interface on every hidden layer (`backprop`, `sg`, `csg`, `local-loss`), then one step
 * looked at on the probe batch (the first 256 training examples): per layer the forward activation's size (its RMS
 * value per unit) and, per interface, the gradient its layer gets: its cosine to the true one and its norm over the
 * true one's (the `History`'s probe).
 *
 * @module
 */
import { buildNetwork, loadDataset, tf, train } from "../mod.ts";
import { round } from "./_io.ts";
import { fcn3 } from "./cosine_data.ts";

/** One interface's step. */
export interface StepView {
  interface: string;
  /** Per layer (0 to 3): its output's shape per example and RMS value. */
  layers: { units: number; rms: number }[];
  /** Per hidden layer (0 to 2): the cosine of the gradient it gets to the true one, and the norm ratio. */
  gradients: { cosine: number; normRatio: number }[];
  /** Test accuracy after the training. */
  testAccuracy: number;
}

/** What figure (a) drew. */
export interface OneStepData {
  spec: string;
  steps: number;
  seed: number;
  probe: number;
  views: StepView[];
}

/** Trains FCN-3 under each interface and looks at one step. */
export async function oneStepRuns(
  { interfaces = ["backprop", "sg", "csg", "local-loss"], steps = 200, seed = 1 } = {},
): Promise<OneStepData> {
  const mnist = await loadDataset("mnist", { trainCount: 12800, testCount: 2000 });
  const probe = 256;
  const views: StepView[] = [];
  for (const iface of interfaces) {
    const net = buildNetwork(fcn3(iface), { seed });
    const history = await train(net, mnist, { steps, stepsPerEpoch: steps, batchSize: 128, seed, probeSize: probe });
    const layers = tf.tidy(() => {
      let h: tf.Tensor = tf.tensor2d(mnist.train.x.subarray(0, probe * 784), [probe, 784]);
      return net.layers.map((layer) => {
        h = layer.forward(h, "eval").output;
        return { units: h.shape[1]!, rms: round(Math.sqrt(h.square().mean().dataSync()[0]!)) };
      });
    });
    const diagnostics = history.epochs.at(-1)?.interfaces ?? [];
    views.push({
      interface: iface,
      layers,
      gradients: [0, 1, 2].map((l) => {
        const d = diagnostics.find((x) => x.layer === l);
        return { cosine: round(d?.cosine ?? 1), normRatio: round(d?.normRatio ?? 1) };
      }),
      testAccuracy: round(history.epochs.at(-1)?.testAccuracy ?? NaN),
    });
    net.dispose();
  }
  return { spec: "FCN-3 784-256-256-256-10 ReLU, Adam 1e-3", steps, seed, probe, views };
}
