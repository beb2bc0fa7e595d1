// Shared setup of the benchmarks: the MNIST FCN-3 in dni and in TF.js layers, and a random MNIST-shaped batch.
import { tf } from "../deps.ts";
import { buildNetwork } from "../network/build.ts";
import type { Network } from "../network/network.ts";
import type { NetworkSpec } from "../network/spec.ts";

/** Batch size of every step benchmark. */
export const BATCH = 128;

/** 784-256-256-256-10, ReLU, Adam 1e-3, with `interface` on every hidden layer. */
export function fcn3Spec(iface: string = "backprop"): NetworkSpec {
  return {
    input: [784],
    layers: [
      { type: "dense", units: 256, activation: "relu", interface: iface },
      { type: "dense", units: 256, activation: "relu", interface: iface },
      { type: "dense", units: 256, activation: "relu", interface: iface },
      { type: "dense", units: 10 },
    ],
    loss: "softmax-cross-entropy",
    optimizer: { type: "adam", learningRate: 0.001 },
  };
}

/** The dni network of `fcn3Spec`. */
export function fcn3(iface?: string): Network {
  return buildNetwork(fcn3Spec(iface));
}

/** The same model in TF.js layers, compiled as a TF.js user would. */
export function fcn3Layers(): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 256, activation: "relu" }),
      tf.layers.dense({ units: 256, activation: "relu" }),
      tf.layers.dense({ units: 256, activation: "relu" }),
      tf.layers.dense({ units: 10, activation: "softmax" }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.001), loss: "categoricalCrossentropy" });
  return model;
}

/** A random MNIST-shaped batch: inputs in [0, 1) and one-hot labels. */
export function mnistBatch(): { x: tf.Tensor2D; labels: tf.Tensor2D } {
  return tf.tidy(() => ({
    x: tf.randomUniform([BATCH, 784], 0, 1, "float32", 1) as tf.Tensor2D,
    labels: tf.oneHot(tf.randomUniform([BATCH], 0, 10, "int32", 2), 10).toFloat() as tf.Tensor2D,
  }));
}
