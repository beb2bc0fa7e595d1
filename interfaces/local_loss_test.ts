import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { Random } from "../random.ts";
import { SpecError } from "../errors.ts";
import { assertClose } from "../tests/_helpers.ts";
import { buildNetwork } from "../network/build.ts";
import { createRegistries } from "../network/registries.ts";
import { syntheticDataset } from "../datasets/synthetic.ts";
import { batches } from "../datasets/dataset.ts";
import { createLocalLoss } from "./local_loss.ts";
import { type InterfaceContext, needsMessage } from "./interface.ts";

function context(shape: number[], classes: number): InterfaceContext {
  const registries = createRegistries();
  return {
    shape,
    units: shape.reduce((a, b) => a * b, 1),
    contextUnits: classes,
    path: "layers[0].interface",
    random: new Random(4),
    optimizer: registries.optimizers.get("sgd").validate({ type: "sgd", learningRate: 0.1 }, "optimizer"),
    optimizers: registries.optimizers,
  };
}

for (const hidden of [[], [5]]) {
  Deno.test(`local-loss gives the gradient of its classifier's loss at the trigger (autodiff; hidden ${JSON.stringify(hidden)})`, async () => {
    const before = tf.getBackend();
    await tf.setBackend("cpu");
    try {
      const iface = createLocalLoss({ type: "local-loss", hidden }, context([2, 2, 3], 4));
      const h = tf.randomNormal([5, 2, 2, 3], 0, 1, "float32", 1);
      const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 1], "int32"), 4).toFloat() as tf.Tensor2D;
      const ours = iface.synthesize(h, { labels, step: 0 });
      const v = iface.variables;
      const loss = (x: tf.Tensor) => {
        let z: tf.Tensor = tf.reshape(x, [5, 12]);
        for (let k = 0; k < v.length; k += 2) {
          z = tf.add(tf.matMul(z as tf.Tensor2D, v[k]! as tf.Tensor2D), v[k + 1]!);
          if (k + 2 < v.length) z = tf.relu(z);
        }
        return tf.neg(tf.div(tf.sum(tf.mul(labels, tf.logSoftmax(z))), 5)) as tf.Scalar;
      };
      const truth = tf.grad(loss)(h);
      assert.deepEqual(ours.shape, [5, 2, 2, 3]);
      assertClose(ours.dataSync(), truth.dataSync(), { atol: 1e-6, what: "dLocal/dh" });
      // send answers the same gradient, then the classifier learns: its loss on the batch falls.
      const first = loss(h).dataSync()[0]!;
      const sent = iface.send(h, { labels, step: 0 })!;
      assertClose(sent.dataSync(), truth.dataSync(), { atol: 1e-6, what: "send()" });
      assert.ok(loss(h).dataSync()[0]! < first, "the classifier learnt from send()");
      assert.ok(Number.isFinite(iface.diagnostics().localLoss));
      tf.dispose([h, labels, ours, truth, sent]);
      iface.dispose();
    } finally {
      await tf.setBackend(before);
    }
  });
}

Deno.test("an FCN with local-loss on every hidden layer learns a synthetic task, without leaking", () => {
  const data = syntheticDataset({ features: 16, classes: 4, trainCount: 512, testCount: 256, seed: 2 });
  const net = buildNetwork({
    input: [16],
    layers: [
      { type: "dense", units: 32, activation: "relu", interface: "local-loss" },
      { type: "dense", units: 32, activation: "relu", interface: { type: "local-loss", hidden: [16] } },
      { type: "dense", units: 4 },
    ],
    optimizer: { type: "adam", learningRate: 0.01 },
  });
  const step = () => {
    let correct = 0, count = 0;
    for (const b of batches(data.train, 16, 32, 1)) {
      const x = tf.tensor2d(b.x, [b.size, 16]);
      const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from(b.labels), "int32"), 4).toFloat() as tf.Tensor2D);
      const r = net.trainStep(x, y);
      correct += r.correct;
      count += b.size;
      tf.dispose([x, y]);
    }
    return correct / count;
  };
  step();
  const before = tf.memory().numTensors;
  for (let e = 0; e < 4; e++) step();
  const accuracy = step();
  assert.equal(tf.memory().numTensors, before);
  assert.ok(accuracy > 0.6, `train accuracy ${accuracy} (chance 0.25)`);
  net.dispose();
});

Deno.test("local-loss options are checked, naming the field and the value", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ type: "local-loss", hiden: [3] }, /layers\[0\]\.interface\.hiden is not a known field/],
    [{ type: "local-loss", hidden: 3 }, /hidden must be an array of layer widths/],
    [{ type: "local-loss", hidden: [0] }, /hidden\[0\] must be a positive integer/],
    [{ type: "local-loss", scale: -1 }, /scale/],
    [{ type: "local-loss", optimizer: "nope" }, /optimizer is not a known optimizer/],
  ];
  for (const [config, pattern] of cases) {
    assert.throws(
      () => createLocalLoss(config as never, context([6], 3)),
      (e: Error) => e instanceof SpecError && pattern.test(e.message),
      String(pattern),
    );
  }
});

Deno.test("local-loss needs no message: the layer above computes none and never calls receive()", () => {
  const net = buildNetwork({
    input: [6],
    layers: [
      { type: "dense", units: 5, activation: "relu", interface: "local-loss" },
      { type: "dense", units: 5, activation: "relu", interface: "backprop" },
      { type: "dense", units: 3 },
    ],
  });
  assert.equal(needsMessage(net.interfaces[0]!), false);
  assert.equal(needsMessage(net.interfaces[1]!), true);
  const iface = net.interfaces[0]! as unknown as { receive: () => void };
  let received = 0;
  iface.receive = () => received++;
  // The layer above local-loss is asked for no input gradient; the one above backprop is.
  const asked: boolean[] = [];
  for (const j of [1, 2]) {
    const layer = net.layers[j]!, backward = layer.backward.bind(layer);
    layer.backward = (cache, g, needInput) => {
      asked[j] = needInput;
      return backward(cache, g, needInput);
    };
  }
  const x = tf.randomNormal([4, 6]), y = tf.oneHot(tf.tensor1d([0, 1, 2, 0], "int32"), 3).toFloat() as tf.Tensor2D;
  net.trainStep(x, y);
  assert.equal(received, 0);
  assert.deepEqual(asked.slice(1), [false, true]);
  // A range starting above it (a pipeline stage) hands out no message for it.
  const message = tf.tidy(() => {
    const r = net.trainRange(1, 2, tf.randomNormal([4, 5]), { labels: y, step: 1 });
    return r.message === null ? "null" : String(r.message);
  });
  assert.equal(message, "null");
  tf.dispose([x, y]);
  net.dispose();
});
