// `deno task bench`: one training step of the MNIST FCN-3 (batch 128) in dni (backprop, sg, csg) and in TF.js
// layers, and one dense layer's gradient on the fast path against the stock transposed-matmul path.
import { tf } from "../deps.ts";
import { Dense } from "../layers/dense.ts";
import { Random } from "../random.ts";
import { BATCH, fcn3, fcn3Layers, mnistBatch } from "./_models.ts";

const { x, labels } = mnistBatch();

const backprop = fcn3("backprop");
Deno.bench({
  group: "mlp-step",
  name: "dni backprop (fast path)",
  baseline: true,
  fn: () => {
    backprop.trainStep(x, labels);
  },
});

for (const iface of ["sg", "csg"]) {
  const net = fcn3(iface);
  Deno.bench({
    group: "mlp-step",
    name: `dni ${iface} on every hidden layer (linear synthesizers)`,
    fn: () => {
      net.trainStep(x, labels);
    },
  });
}

const layers = fcn3Layers();
Deno.bench({
  group: "mlp-step",
  name: "tfjs-layers trainOnBatch",
  async fn() {
    await layers.trainOnBatch(x, labels);
  },
});

// The same MLP trained through TF.js autodiff (tf.variableGrads), i.e. the stock gradient path.
const autodiff = fcn3("backprop");
const optimizer = tf.train.adam(0.001);
const variables = autodiff.layers.flatMap((l) => [...l.trainable]);
Deno.bench({
  group: "mlp-step",
  name: "dni network, stock autodiff gradient",
  fn: () => {
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => autodiff.loss.compute(autodiff.forward(x), labels).loss, variables);
      optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
    });
  },
});

// One dense layer (784 -> 256, ReLU), forward then backward (dW, db, dx), through the Dense class.
const dense = new Dense({ type: "dense", units: 256, activation: "relu" }, {
  inputShape: [784],
  path: "bench",
  random: new Random(0),
});
Deno.bench({
  group: "dense-layer",
  name: "Dense 784->256 relu: forward + backward (batch 128)",
  fn: () => {
    tf.tidy(() => {
      const { output, cache } = dense.forward(x, "train");
      dense.backward(cache, output, true);
    });
  },
});

const w = tf.variable(tf.randomNormal([784, 256], 0, 0.05, "float32", 3));
const dz = tf.randomNormal([BATCH, 256], 0, 1, "float32", 4);
Deno.bench({
  group: "dense-gradient",
  name: "dW and dx through explicit transposes (dni)",
  baseline: true,
  fn: () => {
    tf.dispose(tf.tidy(() => [tf.matMul(tf.transpose(x), dz), tf.matMul(dz, tf.transpose(w))]));
  },
});
Deno.bench({
  group: "dense-gradient",
  name: "dW and dx with transposed matMul flags (stock tfjs)",
  fn: () => {
    tf.dispose(tf.tidy(() => [tf.matMul(x, dz, true, false), tf.matMul(dz, w, false, true)]));
  },
});

// The synthesizers alone: the three linear synthesizers of an FCN-3 `sg` network (256 -> 256 each), one forward
// pass and one regression step each, against the whole backprop step of the network they serve.
const synthNet = fcn3("sg");
const h = tf.randomNormal([BATCH, 256], 0, 1, "float32", 5) as tf.Tensor2D;
const message = tf.randomNormal([BATCH, 256], 0, 1e-3, "float32", 6) as tf.Tensor2D;
const context = { labels, step: 0 };
Deno.bench({
  group: "synthesizer",
  name: "FCN-3 backprop step (the network served)",
  baseline: true,
  fn: () => {
    backprop.trainStep(x, labels);
  },
});
Deno.bench({
  group: "synthesizer",
  name: "3 linear sg synthesizers: predict + regression step",
  fn: () => {
    tf.tidy(() => {
      for (const iface of synthNet.interfaces) {
        if (!iface.decouples) continue;
        iface.send(h, context);
        iface.receive(message, h, context);
        iface.release(context.step);
      }
    });
  },
});
