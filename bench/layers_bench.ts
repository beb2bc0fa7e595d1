// `deno bench --allow-read --allow-env --allow-ffi bench/layers_bench.ts`: the MNIST CNN (batch 128) forward and
// backward, its conv layers, and each conv kernel, on the native backend (BLAS, one thread) and on wasm side by side
// in one run (wasm alone when no BLAS loads); also max pooling and the conv synthesizers.
//   conv2d 16 5x5 same relu BN -> maxPool 2 -> conv2d 32 5x5 same relu BN -> maxPool 2 -> flatten -> dense 10
import { tf } from "../deps.ts";
import { defaultBackend, setBlasThreads, useBackend } from "../backend.ts";
import { conv2dFilterGradient, IM2COL_MAX_CHANNELS } from "../layers/_conv_filter_gradient.ts";
import type { Layer, LayerConfig, Shape } from "../layers/layer.ts";
import { builtinLayers } from "../layers/registry.ts";
import { softmaxCrossEntropy } from "../losses/softmax_cross_entropy.ts";
import { Sgd } from "../optimizers/rules.ts";
import { Random } from "../random.ts";
import { Synthesizer } from "../interfaces/synthesizer.ts";

const BATCH = 128;
const registry = builtinLayers();
const native = defaultBackend() === "native";
if (native) setBlasThreads(1); // one thread, as wasm runs: the same cores on both sides
const conv = { type: "conv2d", kernelSize: 5, padding: "same", activation: "relu", batchNorm: true };
const pad = [[2, 2], [2, 2]] as const;

function layer(config: LayerConfig, inputShape: Shape, random: Random): Layer {
  return registry.get(config.type)(config, { inputShape, path: "bench", random: random.fork() });
}

function forwardBackward(l: Layer, x: tf.Tensor, needInputGradient: boolean): void {
  tf.tidy(() => {
    const { output, cache } = l.forward(x, "train");
    const r = l.backward(cache, output, needInputGradient);
    tf.dispose([...r.gradients, ...(r.inputGradient ? [r.inputGradient] : [])]);
  });
}

// Registers a bench that runs on `backend` (switching to it first, outside the timed part).
function bench(backend: string, group: string, name: string, fn: () => void, baseline = false): void {
  Deno.bench({
    group,
    name: `${backend}: ${name}`,
    baseline,
    async fn(b) {
      if (tf.getBackend() !== backend) await useBackend(backend);
      b.start();
      fn();
      b.end();
    },
  });
}

interface Operands {
  x: tf.Tensor4D;
  dy: tf.Tensor4D;
  kernel: tf.Tensor4D;
}

interface Setup {
  images: tf.Tensor4D;
  maps: tf.Tensor4D;
  conv1: Layer;
  conv2: Layer;
  cnn: Layer[];
  labels: tf.Tensor2D;
  /** The operands of each kernel at the CNN's two convolutions. */
  kernels: Record<string, Operands>;
  pool: Layer;
  pooled: tf.Tensor;
  synthesizers: { synthesizer: Synthesizer; trigger: tf.Tensor; message: tf.Tensor }[];
}

const SYNTHESIZERS = [
  { shape: [28, 28, 16], kernelSize: 5 },
  { shape: [28, 28, 16], kernelSize: 3 },
  { shape: [14, 14, 32], kernelSize: 5 },
] as const;

const KERNEL_CASES = [["1->16 on 28x28", 16], ["16->32 on 14x14", 32]] as const;

// Each backend's layers and inputs are made while that backend is active (the same seeds on each), and each
// benchmark switches to its backend before it is timed, so no tensor moves between backends inside a measurement.
const setups: Record<string, Setup> = {};
for (const backend of native ? ["wasm", "native"] : ["wasm"]) {
  await useBackend(backend);
  const random = new Random(0);
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
  ) cnn.push(layer(config, cnn.at(-1)?.outputShape ?? [28, 28, 1], random));
  const images = tf.randomUniform([BATCH, 28, 28, 1], 0, 1, "float32", 1) as tf.Tensor4D;
  const maps = tf.randomNormal([BATCH, 14, 14, 16], 0, 1, "float32", 2) as tf.Tensor4D;
  const kernels = Object.fromEntries(KERNEL_CASES.map(([name, filters]) => {
    const x = filters === 16 ? images : maps;
    return [name, {
      x,
      dy: tf.randomNormal([BATCH, x.shape[1], x.shape[2], filters], 0, 1, "float32", 4) as tf.Tensor4D,
      kernel: tf.randomNormal([5, 5, x.shape[3], filters], 0, 0.1, "float32", 5) as tf.Tensor4D,
    }];
  }));
  setups[backend] = {
    images,
    maps,
    conv1: layer({ ...conv, filters: 16 }, [28, 28, 1], random),
    conv2: layer({ ...conv, filters: 32 }, [14, 14, 16], random),
    cnn,
    labels: tf.oneHot(tf.randomUniform([BATCH], 0, 10, "int32", 6), 10).toFloat() as tf.Tensor2D,
    kernels,
    pool: layer({ type: "maxPool2d", poolSize: 2 }, [28, 28, 16], random),
    pooled: tf.relu(tf.randomNormal([BATCH, 28, 28, 16], 0, 1, "float32", 3)),
    synthesizers: SYNTHESIZERS.map(({ shape, kernelSize }) => ({
      synthesizer: new Synthesizer({
        shape,
        contextUnits: 10,
        hidden: [],
        batchNorm: false,
        kernelSize,
        optimizer: new Sgd(1e-4),
        random: random.fork(),
      }),
      trigger: tf.randomNormal([BATCH, ...shape], 0, 1, "float32", 7),
      message: tf.randomNormal([BATCH, ...shape], 0, 1, "float32", 8),
    })),
  };
}
// Registers `make(setup, wasm)`'s benches for each backend, wasm first (the baseline): side by side in one group.
function sideBySide(make: (on: On, setup: Setup, wasm: boolean) => void): void {
  for (const [backend, setup] of Object.entries(setups)) {
    const wasm = backend === "wasm";
    make((group, name, fn, baseline = wasm) => bench(backend, group, name, fn, baseline), setup, wasm);
  }
}
type On = (group: string, name: string, fn: () => void, baseline?: boolean) => void;
const loss = softmaxCrossEntropy.create();

// The whole conv stack with its dense output layer: forward, softmax cross-entropy gradient, backward.
sideBySide((on, { images, cnn, labels }) =>
  on("MNIST CNN (conv16-pool-conv32-pool-dense10, BN, relu), batch 128", "forward + backward", () => {
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
  })
);
sideBySide((on, { images, cnn }) =>
  on(
    "MNIST CNN forward only (train mode), batch 128",
    "forward",
    () => tf.dispose(tf.tidy(() => cnn.reduce((h: tf.Tensor, l) => l.forward(h, "train").output, images))),
  )
);
sideBySide((on, { images, conv1 }) =>
  on(
    "conv2d 1->16 5x5 same on 28x28 (BN, relu): forward + backward, no input gradient",
    "layer",
    () => forwardBackward(conv1, images, false),
  )
);
sideBySide((on, { maps, conv2 }) =>
  on(
    "conv2d 16->32 5x5 same on 14x14 (BN, relu): forward + backward with input gradient",
    "layer",
    () => forwardBackward(conv2, maps, true),
  )
);

// Each kernel alone, at both convolutions of the CNN.
for (const [name] of KERNEL_CASES) {
  sideBySide((on, setup) => {
    const { x, kernel } = setup.kernels[name]!;
    on(`forward ${name}`, "tf.conv2d", () => tf.dispose(tf.conv2d(x, kernel, 1, "same")));
  });
  sideBySide((on, setup, wasm) => {
    const { x, dy } = setup.kernels[name]!;
    const auto = x.shape[3] <= IM2COL_MAX_CHANNELS ? "im2col" : "swapped";
    for (const method of wasm ? ["im2col", "swapped"] as const : ["kernel", "im2col", "swapped"] as const) {
      const chosen = (wasm && method === auto) || method === "kernel";
      on(
        `filter gradient ${name}`,
        `${method === "kernel" ? "Conv2DBackpropFilter kernel" : method}${chosen ? " (the layer's way)" : ""}`,
        () => tf.dispose(conv2dFilterGradient(x, dy, [5, 5], [1, 1], pad, method)),
        wasm && method === auto,
      );
    }
  });
  sideBySide((on, setup, wasm) => {
    const { x, dy, kernel } = setup.kernels[name]!;
    const turned = () =>
      tf.conv2d(dy, tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D, 1, pad[0][0]);
    on(
      `input gradient ${name}`,
      `conv2d with the turned kernel${wasm ? " (the layer's way)" : ""}`,
      () => tf.dispose(tf.tidy(turned)),
    );
    on(
      `input gradient ${name}`,
      `tf.conv2dTranspose (Conv2DBackpropInput kernel)${wasm ? "" : " (the layer's way)"}`,
      () => tf.dispose(tf.conv2dTranspose(dy, kernel, x.shape, 1, "same")),
      false,
    );
  });
}

// Max pooling (the layer's mask against TF.js's MaxPoolGrad kernel, which native takes from wasm).
sideBySide((on, { pool, pooled }) => {
  on("maxPool2d 2 on [128, 28, 28, 16]", "forward + backward (the layer's mask)", () => {
    forwardBackward(pool, pooled, true);
  });
  on("maxPool2d 2 on [128, 28, 28, 16]", "forward + TF.js autodiff (MaxPoolGrad kernel)", () => {
    tf.dispose(tf.grad((x: tf.Tensor) => tf.sum(tf.maxPool(x as tf.Tensor4D, 2, 2, "valid")))(pooled));
  }, false);
});

// Linear convolutional synthesizers (cDNI: labels as 10 extra channels) on the CNN's two conv triggers: one
// prediction and one regression step each, to set against the whole network's step above.
for (const [i, { shape, kernelSize }] of SYNTHESIZERS.entries()) {
  sideBySide((on, { synthesizers, labels }) => {
    const { synthesizer, trigger, message } = synthesizers[i]!;
    on(`linear csg synthesizer ${kernelSize}x${kernelSize} on [${shape}]`, "predict + fit", () => {
      tf.tidy(() => {
        synthesizer.fit(synthesizer.forward(trigger, labels, "train"), message);
      });
    });
  });
}
