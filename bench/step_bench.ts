// `deno task bench`: one training step of the MNIST FCN-3 (batch 128) on the native backend (BLAS, one thread) and
// on wasm, side by side with the step's GEMM ceiling (its matrix products alone, called straight through BLAS), and
// TF.js layers, each case named with its TF.js kernel calls per step; then one dense layer's gradient and the
// synthesizers, on the default backend.
import { tf } from "../deps.ts";
import { setBlasThreads, useBackend } from "../backend.ts";
import { nativeBlas } from "../native/backend.ts";
import { Dense } from "../layers/dense.ts";
import { Random } from "../random.ts";
import { BATCH, fcn3, fcn3Layers, mnistBatch } from "./_models.ts";
import { gemmCeiling } from "./_gemm_ceiling.ts";
import { countOps } from "../bench_spec/_count_ops.ts";

const blas = nativeBlas();
const native = !("reason" in blas);
if (!native) console.warn(`bench: the native backend did not run: ${blas.reason}`);
else setBlasThreads(1);

// Each case's name gives its TF.js kernel calls per step, counted once here (tf.profile), after a warm-up step.
const ops = async (fn: () => void | Promise<unknown>) => {
  await fn();
  return `${await countOps(async () => void await fn())} ops`;
};

// Each backend's networks and batches are made while that backend is active, and each benchmark switches to its
// backend before it is timed (b.start), so no tensor moves between backends inside a measurement.
async function on(backend: string): Promise<void> {
  if (tf.getBackend() !== backend) await useBackend(backend);
}
type Net = ReturnType<typeof fcn3>;
const setups: Record<
  string,
  { x: tf.Tensor2D; labels: tf.Tensor2D; nets: Record<string, Net>; ops: Record<string, string> }
> = {};
for (const backend of native ? ["native", "wasm"] : ["wasm"]) {
  await on(backend);
  const { x, labels } = mnistBatch();
  const nets: Record<string, Net> = Object.fromEntries(["backprop", "sg", "csg"].map((i) => [i, fcn3(i)]));
  const counts: Record<string, string> = {};
  for (const [iface, net] of Object.entries(nets)) counts[iface] = await ops(() => void net.trainStep(x, labels));
  setups[backend] = { x, labels, nets, ops: counts };
}

if (native) {
  const ceiling = gemmCeiling(blas, "backprop");
  Deno.bench({
    group: "fcn3-step",
    name: `GEMM ceiling: the step's 11 sgemm calls alone (${(ceiling.flops / 1e6).toFixed(1)} MFLOP, 1 thread)`,
    baseline: true,
    fn: ceiling.run,
  });
}
for (const [backend, { x, labels, nets, ops }] of Object.entries(setups)) {
  for (const [iface, net] of Object.entries(nets)) {
    Deno.bench({
      group: "fcn3-step",
      name: `${backend}: dni ${
        iface === "backprop" ? "backprop" : `${iface} on every hidden layer (linear synthesizers)`
      } (${ops[iface]})`,
      baseline: !native && iface === "backprop",
      async fn(b) {
        await on(backend);
        b.start();
        net.trainStep(x, labels);
        b.end();
      },
    });
  }
}

await on("wasm");
const layers = fcn3Layers();
const layersOps = await ops(() => layers.trainOnBatch(setups.wasm!.x, setups.wasm!.labels));
Deno.bench({
  group: "fcn3-step",
  name: `wasm: tfjs-layers trainOnBatch (${layersOps})`,
  async fn(b) {
    await on("wasm");
    const { x, labels } = setups.wasm!;
    b.start();
    await layers.trainOnBatch(x, labels);
    b.end();
  },
});

// The same MLP trained through TF.js autodiff (tf.variableGrads), i.e. the stock gradient path, on wasm.
const autodiff = fcn3("backprop");
const optimizer = tf.train.adam(0.001);
const variables = autodiff.layers.flatMap((l) => [...l.trainable]);
const autodiffStep = () =>
  tf.tidy(() => {
    const { x, labels } = setups.wasm!;
    const { grads } = tf.variableGrads(() => autodiff.loss.compute(autodiff.forward(x), labels).loss, variables);
    optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
  });
const autodiffOps = await ops(autodiffStep);
Deno.bench({
  group: "fcn3-step",
  name: `wasm: dni network, stock autodiff gradient (${autodiffOps})`,
  async fn(b) {
    await on("wasm");
    b.start();
    autodiffStep();
    b.end();
  },
});

// On wasm: one dense layer (784 -> 256, ReLU), forward then backward (dW, db, dx), through the Dense class, and
// the gradient products with explicit transposes (dni's wasm path) against transposed-matmul flags.
const { x } = setups.wasm!;
const dense = new Dense({ type: "dense", units: 256, activation: "relu" }, {
  inputShape: [784],
  path: "bench",
  random: new Random(0),
});
Deno.bench({
  group: "dense-layer",
  name: "wasm: Dense 784->256 relu: forward + backward (batch 128)",
  async fn(b) {
    await on("wasm");
    b.start();
    tf.tidy(() => {
      const { output, cache } = dense.forward(x, "train");
      dense.backward(cache, output, true);
    });
    b.end();
  },
});

const w = tf.variable(tf.randomNormal([784, 256], 0, 0.05, "float32", 3));
const dz = tf.randomNormal([BATCH, 256], 0, 1, "float32", 4);
Deno.bench({
  group: "dense-gradient",
  name: "wasm: dW and dx through explicit transposes (dni's wasm path)",
  baseline: true,
  async fn(b) {
    await on("wasm");
    b.start();
    tf.dispose(tf.tidy(() => [tf.matMul(tf.transpose(x), dz), tf.matMul(dz, tf.transpose(w))]));
    b.end();
  },
});
Deno.bench({
  group: "dense-gradient",
  name: "wasm: dW and dx with transposed matMul flags (stock tfjs)",
  async fn(b) {
    await on("wasm");
    b.start();
    tf.dispose(tf.tidy(() => [tf.matMul(x, dz, true, false), tf.matMul(dz, w, false, true)]));
    b.end();
  },
});

// The synthesizers alone, on each backend: the three linear synthesizers of an FCN-3 `sg` network (256 -> 256
// each), one forward pass and one regression step each, against the whole backprop step of the network they serve.
for (const [backend, { labels, nets }] of Object.entries(setups)) {
  await on(backend);
  const synthNet = fcn3("sg");
  const h = tf.randomNormal([BATCH, 256], 0, 1, "float32", 5) as tf.Tensor2D;
  const message = tf.randomNormal([BATCH, 256], 0, 1e-3, "float32", 6) as tf.Tensor2D;
  const context = { labels, step: 0 };
  const { x } = setups[backend]!;
  Deno.bench({
    group: `synthesizer-${backend}`,
    name: `${backend}: FCN-3 backprop step (the network served)`,
    baseline: true,
    async fn(b) {
      await on(backend);
      b.start();
      nets.backprop!.trainStep(x, labels);
      b.end();
    },
  });
  Deno.bench({
    group: `synthesizer-${backend}`,
    name: `${backend}: 3 linear sg synthesizers: predict + regression step`,
    async fn(b) {
      await on(backend);
      b.start();
      tf.tidy(() => {
        for (const iface of synthNet.interfaces) {
          if (!iface.decouples) continue;
          iface.send(h, context);
          iface.receive(message, h, context);
          iface.release(context.step);
        }
      });
      b.end();
    },
  });
}
