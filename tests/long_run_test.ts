// Resources over long runs: thousands of small training steps with backprop, sg and csg leave the number of live
// tensors and their bytes exactly where they were after the first steps; so do skipped (NaN) updates, and every
// epoch of train() records the same memory.
import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { buildNetwork, type Network, type NetworkSpec, syntheticDataset, train } from "../mod.ts";

const STEPS = 1500;

function spec(iface: NetworkSpec["layers"][number]["interface"]): NetworkSpec {
  return {
    input: [6],
    layers: [
      { type: "dense", units: 8, activation: "relu", batchNorm: true, interface: iface },
      { type: "dense", units: 8, activation: "tanh", interface: iface },
      { type: "dense", units: 3 },
    ],
    optimizer: { type: "adam", learningRate: 0.01 },
  };
}

// A few small batches to cycle through (made once, so only the training steps make tensors).
function smallBatches(poisonEvery = 0): { x: tf.Tensor2D; labels: tf.Tensor2D }[] {
  return Array.from({ length: 5 }, (_, i) => ({
    x: tf.tidy(() => {
      const x = tf.randomUniform([4, 6], -1, 1, "float32", i) as tf.Tensor2D;
      return (poisonEvery > 0 && i % poisonEvery === 0 ? tf.mul(x, NaN) : x) as tf.Tensor2D;
    }),
    labels: tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, i % 3], "int32"), 3).toFloat() as tf.Tensor2D),
  }));
}

// Runs `steps` steps; returns tf.memory() after step 20 and after every 500th step.
function memoryOver(net: Network, steps: number, data: { x: tf.Tensor2D; labels: tf.Tensor2D }[]) {
  const samples: { step: number; tensors: number; bytes: number }[] = [];
  for (let step = 1; step <= steps; step++) {
    const b = data[step % data.length]!;
    net.trainStep(b.x, b.labels);
    if (step === 20 || step % 500 === 0) {
      const m = tf.memory();
      samples.push({ step, tensors: m.numTensors, bytes: m.numBytes });
    }
  }
  return samples;
}

function assertFlat(samples: { step: number; tensors: number; bytes: number }[], what: string): void {
  const first = samples[0]!;
  for (const s of samples) {
    assert.equal(s.tensors, first.tensors, `${what}: ${s.tensors} tensors at step ${s.step}, ${first.tensors} at 20`);
    assert.equal(s.bytes, first.bytes, `${what}: ${s.bytes} bytes at step ${s.step}, ${first.bytes} at step 20`);
  }
}

Deno.test(`${STEPS} small steps each of backprop, sg and csg leak no tensor and no byte`, () => {
  const data = smallBatches();
  const interfaces = [
    "backprop",
    "sg",
    { type: "csg", hidden: [4], batchNorm: true, updateProbability: 0.5 },
  ] as const;
  for (const iface of interfaces) {
    const net = buildNetwork(spec(iface));
    const samples = memoryOver(net, STEPS, data);
    assert.equal(samples.length, 1 + STEPS / 500);
    assertFlat(samples, typeof iface === "string" ? iface : iface.type);
    net.dispose();
  }
  tf.dispose(data.flatMap((b) => [b.x, b.labels]));
});

Deno.test("skipped NaN updates leak nothing over a long run", () => {
  const data = smallBatches(2); // batches 0, 2 and 4 of every 5 hold NaN inputs
  const net = buildNetwork(spec("csg"));
  net.onNonFinite = "skip";
  const samples = memoryOver(net, 1000, data);
  assert.ok(net.skippedUpdates > 500, `skipped ${net.skippedUpdates}`);
  assertFlat(samples, "csg with skipped updates");
  net.dispose();
  tf.dispose(data.flatMap((b) => [b.x, b.labels]));
});

Deno.test("train() records the same memory after every epoch of a long run (evaluation and probes included)", async () => {
  const data = syntheticDataset({ features: 6, classes: 3, trainCount: 64, testCount: 32, seed: 1 });
  const net = buildNetwork(spec("csg"));
  const start = tf.memory().numTensors;
  const history = await train(net, data, { epochs: 40, batchSize: 4, probeSize: 16 });
  const memory = history.epochs.map((e) => e.memory!);
  for (const [i, m] of memory.entries()) {
    assert.equal(m.tensors, memory[0]!.tensors, `epoch ${i + 1}: ${m.tensors} tensors`);
    assert.equal(m.bytes, memory[0]!.bytes, `epoch ${i + 1}: ${m.bytes} bytes`);
    assert.ok(m.rssBytes > 0);
  }
  net.dispose();
  assert.ok(tf.memory().numTensors <= start, "dispose() frees what training made");
});
