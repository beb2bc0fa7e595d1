// Shared by the pipeline tests (Workers and NATS): a small synthetic task, a network with a decoupling interface on
// every hidden layer (csg, sg with a hidden synthesizer layer, csg after batch norm), and every weight's values.
import { syntheticDataset } from "../datasets/synthetic.ts";
import type { Dataset } from "../datasets/dataset.ts";
import type { Network } from "../network/network.ts";
import type { NetworkSpec } from "../network/spec.ts";

/** 40 features, 4 classes, 256 training and 64 test examples. */
export const data: Dataset = syntheticDataset({ features: 40, classes: 4, trainCount: 256, testCount: 64, seed: 5 });

/** 40-12-12-12-4 with csg, sg (hidden [8]) and csg (after batch norm) on its hidden layers; Adam 0.01. */
export const spec: NetworkSpec = {
  input: [40],
  layers: [
    { type: "dense", units: 12, activation: "relu", interface: "csg" },
    { type: "dense", units: 12, activation: "tanh", interface: { type: "sg", hidden: [8] } },
    { type: "dense", units: 12, activation: "relu", batchNorm: true, interface: "csg" },
    { type: "dense", units: 4 },
  ],
  optimizer: { type: "adam", learningRate: 0.01 },
};

/** Every variable's values. */
export const weights = (net: Network): Float32Array[] => net.variables.map((v) => v.dataSync().slice() as Float32Array);
