/**
 * The peer a TF.js user would pick: the MNIST 784-256-256-10 classifier (or `--hidden N` layers of 256) trained
 * with TF.js layers `fit`, Adam 1e-3, batch 128, printing test accuracy per epoch. Used for the README's side-by-side
 * accuracy rows.
 *
 * ```
 * deno run --allow-read --allow-env bench/tfjs_fit.ts --epochs 10 --hidden 2
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { tf } from "../deps.ts";
import { loadDataset } from "../datasets/load.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { epochs: { type: "string", default: "10" }, hidden: { type: "string", default: "2" } },
  strict: true,
});
const epochs = Number(values.epochs), hidden = Number(values.hidden);
const data = await loadDataset("mnist");
const model = tf.sequential({
  layers: [
    ...Array.from(
      { length: hidden },
      (_, i) => tf.layers.dense({ ...(i === 0 ? { inputShape: [784] } : {}), units: 256, activation: "relu" }),
    ),
    tf.layers.dense({ units: 10, activation: "softmax" }),
  ],
});
model.compile({ optimizer: tf.train.adam(0.001), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
const x = tf.tensor2d(data.train.x, [data.train.count, 784]);
const y = tf.oneHot(tf.tensor1d(data.train.labels, "int32"), 10);
const xt = tf.tensor2d(data.test.x, [data.test.count, 784]);
const yt = tf.oneHot(tf.tensor1d(data.test.labels, "int32"), 10);
let start = performance.now();
const results: { epoch: number; testAccuracy: number; seconds: number }[] = [];
await model.fit(x, y, {
  epochs,
  batchSize: 128,
  shuffle: true,
  verbose: 0,
  callbacks: {
    onEpochEnd: (epoch) => {
      const seconds = (performance.now() - start) / 1000;
      const accuracy = tf.tidy(() =>
        tf.mean(tf.cast(tf.equal(tf.argMax(model.predict(xt) as tf.Tensor, 1), tf.argMax(yt, 1)), "float32"))
          .dataSync()[0]!
      );
      results.push({ epoch: epoch + 1, testAccuracy: accuracy, seconds });
      console.log(
        `tfjs-layers fit  epoch ${epoch + 1}/${epochs}  test acc ${(100 * accuracy).toFixed(2)}%  ${
          seconds.toFixed(1)
        }s`,
      );
      start = performance.now();
    },
  },
});
console.log(JSON.stringify({ testAccuracy: results[results.length - 1]!.testAccuracy, epochs: results }));
