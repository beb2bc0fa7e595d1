import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { Random } from "../random.ts";
import type { Layer, LayerConfig, Shape } from "./layer.ts";
import { builtinLayers } from "./registry.ts";

// The MNIST CNN, built layer by layer from the registry, each layer's input shape its predecessor's output.
const CNN: LayerConfig[] = [
  { type: "conv2d", filters: 16, kernelSize: 5, padding: "same", activation: "relu", batchNorm: true },
  { type: "maxPool2d", poolSize: 2 },
  { type: "conv2d", filters: 32, kernelSize: 5, padding: "same", activation: "relu", batchNorm: true },
  { type: "maxPool2d", poolSize: 2 },
  { type: "flatten" },
  { type: "dense", units: 10 },
];

function build(configs: LayerConfig[], input: Shape): Layer[] {
  const registry = builtinLayers(), random = new Random(0);
  let inputShape = input;
  return configs.map((config, i) => {
    const layer = registry.get(config.type)(config, { inputShape, path: `layers[${i}]`, random: random.fork() });
    inputShape = layer.outputShape;
    return layer;
  });
}

Deno.test("builtinLayers() holds dense, conv2d, maxPool2d, flatten and lstm, and builds the MNIST CNN", () => {
  assert.deepEqual(builtinLayers().names(), ["dense", "conv2d", "maxPool2d", "flatten", "lstm"]);
  const layers = build(CNN, [28, 28, 1]);
  assert.deepEqual(layers.map(String), [
    "conv2d([28, 28, 1] -> [28, 28, 16], 5x5, same, bn, relu)",
    "maxPool2d([28, 28, 16] -> [14, 14, 16], 2x2, valid)",
    "conv2d([14, 14, 16] -> [14, 14, 32], 5x5, same, bn, relu)",
    "maxPool2d([14, 14, 32] -> [7, 7, 32], 2x2, valid)",
    "flatten([7, 7, 32] -> [1568])",
    "dense(1568 -> 10, linear)",
  ]);
  assert.deepEqual(layers.map((l) => l.multiplyAdds), [313600, 12544, 2508800, 6272, 0, 15680]);
  const x = tf.randomUniform([4, 28, 28, 1], 0, 1, "float32", 1);
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const caches: unknown[] = [];
    let h: tf.Tensor = x;
    for (const layer of layers) {
      const r = layer.forward(h, "train");
      caches.push(r.cache);
      h = r.output;
    }
    assert.deepEqual(h.shape, [4, 10]);
    let g: tf.Tensor | undefined = tf.onesLike(h);
    for (let j = layers.length - 1; j >= 0; j--) {
      const r = layers[j]!.backward(caches[j], g!, j > 0);
      r.gradients.forEach((grad, k) => assert.deepEqual(grad.shape, layers[j]!.trainable[k]!.shape));
      g = r.inputGradient;
      if (j > 0) assert.deepEqual(g!.shape, [4, ...layers[j]!.inputShape]);
    }
    assert.equal(g, undefined);
  });
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
  layers.forEach((l) => l.dispose());
});
