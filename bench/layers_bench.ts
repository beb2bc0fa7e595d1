// `deno bench --allow-read --allow-env bench/layers_bench.ts`: the layers of the MNIST CNN (batch 128) forward and
// backward on wasm, the filter-gradient methods against each other, and the whole conv stack.
//   conv2d 16 5x5 same relu BN -> maxPool 2 -> conv2d 32 5x5 same relu BN -> maxPool 2 -> flatten -> dense 10
import { tf } from "../deps.ts";
import { conv2dFilterGradient, IM2COL_MAX_CHANNELS } from "../layers/_conv_filter_gradient.ts";
import { conv2dInputGradient } from "../layers/_conv_input_gradient.ts";
import type { Layer, LayerConfig, Shape } from "../layers/layer.ts";
import { builtinLayers } from "../layers/registry.ts";
import { softmaxCrossEntropy } from "../losses/softmax_cross_entropy.ts";
import { Sgd } from "../optimizers/rules.ts";
import { Random } from "../random.ts";
import { Synthesizer } from "../interfaces/synthesizer.ts";

const BATCH = 128;
const random = new Random(0);
const registry = builtinLayers();

function layer(config: LayerConfig, inputShape: Shape): Layer {
  return registry.get(config.type)(config, { inputShape, path: "bench", random: random.fork() });
}

function forwardBackward(l: Layer, x: tf.Tensor, needInputGradient: boolean): void {
  tf.tidy(() => {
    const { output, cache } = l.forward(x, "train");
    const r = l.backward(cache, output, needInputGradient);
    tf.dispose([...r.gradients, ...(r.inputGradient ? [r.inputGradient] : [])]);
  });
}

const conv = { type: "conv2d", kernelSize: 5, padding: "same", activation: "relu", batchNorm: true };
const images = tf.randomUniform([BATCH, 28, 28, 1], 0, 1, "float32", 1);
const maps = tf.randomNormal([BATCH, 14, 14, 16], 0, 1, "float32", 2);
const conv1 = layer({ ...conv, filters: 16 }, [28, 28, 1]);
const conv2 = layer({ ...conv, filters: 32 }, [14, 14, 16]);
const pool = layer({ type: "maxPool2d", poolSize: 2 }, [28, 28, 16]);
const pooled = tf.relu(tf.randomNormal([BATCH, 28, 28, 16], 0, 1, "float32", 3));

Deno.bench({
  group: "conv2d",
  name: "conv2d 1->16 5x5 same on 28x28: forward + backward, no input gradient",
  baseline: true,
  fn: () => forwardBackward(conv1, images, false),
});
Deno.bench({
  group: "conv2d",
  name: "conv2d 16->32 5x5 same on 14x14: forward + backward with input gradient",
  fn: () => forwardBackward(conv2, maps, true),
});
Deno.bench({
  group: "conv2d",
  name: "conv2d 16->32 5x5 same on 14x14: forward only",
  fn: () => tf.dispose(tf.tidy(() => conv2.forward(maps, "train").output)),
});

Deno.bench({
  group: "maxPool2d",
  name: "maxPool2d 2 on [128, 28, 28, 16]: forward + backward (mask)",
  baseline: true,
  fn: () => forwardBackward(pool, pooled, true),
});
Deno.bench({
  group: "maxPool2d",
  name: "maxPool2d 2 on [128, 28, 28, 16]: forward + TF.js autodiff (wasm MaxPoolGrad)",
  fn: () => tf.dispose(tf.grad((x: tf.Tensor) => tf.sum(tf.maxPool(x as tf.Tensor4D, 2, 2, "valid")))(pooled)),
});

// The filter gradient alone, per method, at both convolutions of the CNN; TF.js's own (tf.grad of conv2d) throws
// on wasm ("Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'") and is left out when it does.
const cases = [
  { name: "1->16 on 28x28", x: images as tf.Tensor4D, filters: 16 },
  { name: "16->32 on 14x14", x: maps as tf.Tensor4D, filters: 32 },
];
for (const { name, x, filters } of cases) {
  const dy = tf.randomNormal([BATCH, x.shape[1], x.shape[2], filters], 0, 1, "float32", 4) as tf.Tensor4D;
  const pad = [[2, 2], [2, 2]] as const;
  for (const method of ["im2col", "swapped"] as const) {
    Deno.bench({
      group: `filter-gradient ${name}`,
      name: `${method}${(method === "im2col") === (x.shape[3] <= IM2COL_MAX_CHANNELS) ? " (auto's choice)" : ""}`,
      baseline: method === "im2col",
      fn: () => tf.dispose(conv2dFilterGradient(x, dy, [5, 5], [1, 1], pad, method)),
    });
  }
  const kernel = tf.randomNormal([5, 5, x.shape[3], filters], 0, 0.1, "float32", 5) as tf.Tensor4D;
  const stock = () => tf.grad((k: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, k as tf.Tensor4D, 1, "same"), dy)))(kernel);
  try {
    tf.dispose(stock());
    Deno.bench({ group: `filter-gradient ${name}`, name: "TF.js tf.grad", fn: () => tf.dispose(stock()) });
  } catch (error) {
    console.error(`filter-gradient ${name}: TF.js tf.grad left out: ${(error as Error).message}`);
  }
  Deno.bench({
    group: `input-gradient ${name}`,
    name: "conv2d with the turned kernel (dni)",
    baseline: true,
    fn: () => tf.dispose(conv2dInputGradient(dy, kernel, x.shape, [1, 1], pad)),
  });
  Deno.bench({
    group: `input-gradient ${name}`,
    name: "tf.conv2dTranspose (Conv2DBackpropInput kernel)",
    fn: () => tf.dispose(tf.conv2dTranspose(dy, kernel, x.shape, 1, "same")),
  });
}

// The whole conv stack with its dense output layer: forward, softmax cross-entropy gradient, backward.
const cnn: Layer[] = [];
for (
  const config of [
    { ...conv, filters: 16 },
    { type: "maxPool2d", poolSize: 2 },
    { ...conv, filters: 32 },
    { type: "maxPool2d", poolSize: 2 },
    { type: "flatten" },
    { type: "dense", units: 10 },
  ]
) cnn.push(layer(config, cnn.at(-1)?.outputShape ?? [28, 28, 1]));
const labels = tf.oneHot(tf.randomUniform([BATCH], 0, 10, "int32", 6), 10).toFloat() as tf.Tensor2D;
const loss = softmaxCrossEntropy.create();
Deno.bench({
  group: "cnn",
  name: "MNIST CNN (conv16-pool-conv32-pool-dense10, BN, relu): forward + backward, batch 128",
  baseline: true,
  fn: () => {
    tf.tidy(() => {
      const caches: unknown[] = [];
      let h: tf.Tensor = images;
      for (const l of cnn) {
        const r = l.forward(h, "train");
        caches.push(r.cache);
        h = r.output;
      }
      let g: tf.Tensor | undefined = loss.compute(h as tf.Tensor2D, labels).gradient;
      for (let j = cnn.length - 1; j >= 0; j--) g = cnn[j]!.backward(caches[j], g!, j > 0).inputGradient;
    });
  },
});
Deno.bench({
  group: "cnn",
  name: "MNIST CNN: forward only (train mode)",
  fn: () => tf.dispose(tf.tidy(() => cnn.reduce((h: tf.Tensor, l) => l.forward(h, "train").output, images))),
});

// Linear convolutional synthesizers (cDNI: labels as 10 extra channels) on the CNN's two conv triggers: one
// prediction and one regression step each, to set against the whole network's step above.
for (const [shape, kernelSize] of [[[28, 28, 16], 5], [[28, 28, 16], 3], [[14, 14, 32], 5]] as const) {
  const synthesizer = new Synthesizer({
    shape,
    contextUnits: 10,
    hidden: [],
    batchNorm: false,
    kernelSize,
    optimizer: new Sgd(1e-4),
    random: random.fork(),
  });
  const trigger = tf.randomNormal([BATCH, ...shape], 0, 1, "float32", 7);
  const message = tf.randomNormal([BATCH, ...shape], 0, 1, "float32", 8);
  Deno.bench({
    group: "conv-synthesizer",
    name: `linear csg synthesizer ${kernelSize}x${kernelSize} on [${shape}]: predict + fit`,
    baseline: shape[0] === 28 && kernelSize === 5,
    fn: () => {
      tf.tidy(() => {
        synthesizer.fit(synthesizer.forward(trigger, labels, "train"), message);
      });
    },
  });
}
