import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { batches } from "../datasets/dataset.ts";
import { loadDataset } from "../datasets/load.ts";
import { syntheticDataset } from "../datasets/synthetic.ts";
import { SpecError } from "../errors.ts";
import { hasDiagnostics } from "../interfaces/interface.ts";
import { loadCheckpoint } from "../checkpoint/load.ts";
import { saveCheckpoint } from "../checkpoint/save.ts";
import { pipeline } from "../parallel/pipeline.ts";
import { assertClose } from "../tests/_helpers.ts";
import { batchTensors } from "../training/evaluate.ts";
import { train } from "../training/train.ts";
import { buildNetwork } from "./build.ts";
import type { LayerSpec, NetworkSpec } from "./spec.ts";
import { summarize } from "./summary.ts";

const data = syntheticDataset({ features: 8, classes: 3, trainCount: 256, testCount: 64, seed: 5 });

// 8 -> 6 (activation0, sg) -> 5 (tanh, csg) -> 3, layer 0 forward-unlocked when `unlock` is given.
function spec(unlock?: LayerSpec["forwardUnlock"], activation0 = "relu", optimizer = "adam"): NetworkSpec {
  return {
    input: [8],
    layers: [
      { type: "dense", units: 6, activation: activation0, interface: "sg", forwardUnlock: unlock },
      { type: "dense", units: 5, activation: "tanh", interface: "csg" },
      { type: "dense", units: 3 },
    ],
    optimizer,
  };
}

// The first `n` batches of 32 of the synthetic data (the same ones for every network).
function* steps(n: number): Generator<{ x: tf.Tensor2D; labels: tf.Tensor2D }> {
  let i = 0;
  for (const batch of batches(data.train, 8, 32, 7)) {
    if (i++ === n) return;
    const t = batchTensors(batch, 8, 3);
    try {
      yield t;
    } finally {
      tf.dispose([t.x, t.labels]);
    }
  }
}

const values = (variables: readonly tf.Variable[]) => variables.map((v) => v.dataSync().slice());

Deno.test("forward unlock with an exact input synthesizer trains exactly like the network without it", () => {
  // Layer 0 is linear in x, so I (linear) is exact when it holds layer 0's weights: set them before every step.
  const reference = buildNetwork(spec(undefined, "linear"), { seed: 3 });
  const net = buildNetwork(spec(true, "linear"), { seed: 3 });
  const unlock = net.inputSynthesizers[0]!;
  for (const { x, labels } of steps(8)) {
    unlock.variables.forEach((v, k) => v.assign(net.layers[0]!.trainable[k]!));
    const a = reference.trainStep(x, labels), b = net.trainStep(x, labels);
    assertClose([b.loss, b.correct], [a.loss, a.correct], { atol: 1e-6, rtol: 1e-5, what: "loss and correct" });
  }
  // Layers and synthesizers alike: the messages for layer 0's interface were the same.
  const a = values(reference.variables), b = values(net.variables).slice(0, a.length);
  a.forEach((w, i) => assertClose(b[i]!, w, { atol: 1e-6, rtol: 1e-5, what: `variable ${i}` }));
  assert.notDeepEqual(a[2], values(buildNetwork(spec(undefined, "linear"), { seed: 3 }).variables)[2], "it trained");
  reference.dispose();
  net.dispose();
});

Deno.test("forward unlock: the layer above trains on the synthetic input (zero at first), and so does the message", () => {
  const lr = 0.5;
  const fcn2 = (unlock?: boolean): NetworkSpec => ({
    input: [8],
    layers: [
      { type: "dense", units: 6, activation: "relu", interface: "sg", forwardUnlock: unlock },
      { type: "dense", units: 3 },
    ],
    optimizer: { type: "sgd", learningRate: lr },
  });
  const net = buildNetwork(fcn2(true), { seed: 1 });
  const reference = buildNetwork(fcn2(), { seed: 1 });
  const [kernel, bias] = values(net.layers[1]!.trainable);
  const [x, labels] = tf.tidy(() => {
    const t = batchTensors(batches(data.train, 8, 32, 7).next().value!, 8, 3);
    return [t.x, t.labels];
  });
  const h = tf.tidy(() => net.layers[0]!.forward(x, "eval").output);
  net.trainStep(x, labels);
  reference.trainStep(x, labels);
  // On Î = 0 the kernel of layer 1 gets no gradient (the real input gives it one); its bias moves by the mean of
  // dL/dlogits for logits = bias: softmax(bias) - labels.
  assert.deepEqual(net.layers[1]!.trainable[0]!.dataSync(), kernel);
  assert.notDeepEqual(reference.layers[1]!.trainable[0]!.dataSync(), kernel);
  const [expectedBias, messageLoss, targetLoss] = tf.tidy(() => {
    const b = tf.tensor1d(bias!);
    const dLogits = tf.sub(tf.softmax(tf.tile(tf.reshape(b, [1, 3]), [32, 1])), labels); // per example
    const message = tf.matMul(dLogits, tf.tensor2d(kernel!, [6, 3]), false, true); // B x dL/dÎ
    return [
      tf.sub(b, tf.mul(lr, tf.mean(dLogits, 0))).dataSync(),
      tf.div(tf.sum(tf.square(message)), 32).dataSync()[0]!,
      tf.div(tf.sum(tf.square(h)), 32).dataSync()[0]!,
    ];
  });
  assertClose(net.layers[1]!.trainable[1]!.dataSync(), expectedBias, { what: "bias of layer 1" });
  // The synthesizer of layer 0 (zero at first) regressed onto the message computed on Î; I onto the real h.
  const sg = net.interfaces[0]!;
  assert.ok(hasDiagnostics(sg));
  assertClose([sg.diagnostics().synthesizerLoss!], [messageLoss], { what: "synthesizer loss" });
  assertClose([net.inputSynthesizers[0]!.diagnostics().inputSynthesizerLoss!], [targetLoss], { what: "I's loss" });
  // Evaluation takes the real path.
  const real = tf.tidy(() => net.layers[1]!.forward(net.layers[0]!.forward(x, "eval").output, "eval").output);
  const out = net.forward(x);
  assert.deepEqual(out.dataSync(), real.dataSync());
  tf.dispose([x, labels, h, real, out]);
  net.dispose();
  reference.dispose();
});

Deno.test("forward unlock: FCN-3 on csg with layer 0 unlocked learns MNIST, and I learns to predict layer 0", async () => {
  const mnist = await loadDataset("mnist", { trainCount: 3000, testCount: 1000 });
  const layer = (unlock?: boolean): LayerSpec => ({
    type: "dense",
    units: 128,
    activation: "relu",
    batchNorm: true,
    interface: "csg",
    forwardUnlock: unlock,
  });
  const net = buildNetwork({
    input: [784],
    layers: [layer(true), layer(), layer(), { type: "dense", units: 10 }],
    optimizer: { type: "adam", learningRate: 0.001 },
  });
  // 5 epochs of 94 batches: about 470 steps. Without the unlock the same network reaches about 89% after 4 epochs.
  const history = await train(net, mnist, { epochs: 5, batchSize: 32, seed: 1, probeSize: 0 });
  const last = history.epochs.at(-1)!;
  assert.ok(last.testAccuracy! > 0.8, `test accuracy ${last.testAccuracy}`);
  // I's regression loss (reported per epoch with layer 0's interface) falls, though its target moves.
  const losses = history.epochs.map((e) => e.interfaces![0]!.inputSynthesizerLoss as number);
  assert.ok(losses.at(-1)! < 0.6 * losses[0]!, `input synthesizer losses ${losses}`);
  // On the test set I explains most of the variance of layer 0's output.
  const r2 = tf.tidy(() => {
    const x = tf.tensor2d(mnist.test.x, [1000, 784]);
    const real = net.layers[0]!.forward(x, "eval").output;
    const residual = tf.sum(tf.square(tf.sub(net.inputSynthesizers[0]!.predict(x, undefined), real)));
    return 1 - residual.dataSync()[0]! / tf.sum(tf.square(tf.sub(real, tf.mean(real, 0)))).dataSync()[0]!;
  });
  assert.ok(r2 > 0.5, `R^2 of I on the test set ${r2}`);
  net.dispose();
});

Deno.test("forward unlock leaks no tensors over steps, and none after dispose", () => {
  const before = tf.memory().numTensors;
  const net = buildNetwork(spec({ hidden: [7], conditioned: true }));
  let after: number | undefined;
  for (const { x, labels } of steps(6)) {
    net.trainStep(x, labels);
    after ??= tf.memory().numTensors; // after the first step: optimizer slots and loss meters exist
    assert.equal(tf.memory().numTensors, after);
  }
  net.inputSynthesizers[0]!.diagnostics();
  net.dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("forward unlock: a checkpoint holds I's weights and optimizer state, and training resumes exactly", async () => {
  const dir = await Deno.makeTempDir();
  const net = buildNetwork(spec({ hidden: [7], conditioned: true }));
  const batches: (readonly [tf.Tensor2D, tf.Tensor2D])[] = [];
  for (const { x, labels } of steps(6)) batches.push([x.clone(), labels.clone()]);
  for (const [x, labels] of batches.slice(0, 3)) net.trainStep(x, labels);
  const manifest = await saveCheckpoint(net, `${dir}/ckpt`);
  const names = manifest.variables.map((v) => v.name);
  assert.ok(names.includes("layers[0].forwardUnlock.hidden[0].kernel"), names.join());
  assert.ok(names.includes("layers[0].forwardUnlock.output.kernel"), names.join());
  assert.equal(manifest.optimizerState!.counters["layers[0].forwardUnlock.optimizer.steps"], 3);
  const copy = await loadCheckpoint(`${dir}/ckpt`);
  assert.deepEqual(copy.getSpec(), net.getSpec());
  assert.deepEqual(values(copy.variables), values(net.variables));
  for (const [x, labels] of batches.slice(3)) {
    assert.deepEqual(copy.trainStep(x, labels), net.trainStep(x, labels));
  }
  assert.deepEqual(values(copy.variables), values(net.variables));
  for (const [x, labels] of batches) tf.dispose([x, labels]);
  net.dispose();
  copy.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("forward unlock: getSpec() round-trips with the defaults filled in; summary and outline show it", () => {
  const net = buildNetwork(spec(true));
  const layer0 = net.getSpec().layers[0]!;
  assert.deepEqual(layer0.forwardUnlock, {
    hidden: [],
    conditioned: false,
    optimizer: { type: "adam", learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
  });
  assert.equal(net.getSpec().layers[1]!.forwardUnlock, undefined);
  const again = buildNetwork(JSON.parse(JSON.stringify(net.getSpec())));
  assert.deepEqual(again.getSpec(), net.getSpec());
  const off = buildNetwork(spec(false));
  assert.equal(off.inputSynthesizers[0], undefined);
  assert.equal(off.getSpec().layers[0]!.forwardUnlock, undefined);
  assert.match(net.toString(), /0: dense\(8 -> 6, relu\) {2}-> \[sg\] \+ forward unlock/);
  const row = summarize(net).rows[0]!;
  assert.equal(row.interface, "sg + forward unlock");
  assert.equal(row.interfaceParameters, (6 * 6 + 6) + (8 * 6 + 6)); // the sg synthesizer, then I
  for (const n of [net, again, off]) n.dispose();
});

Deno.test("forward unlock is refused where it cannot run: a pipeline, a range of layers", async () => {
  const net = buildNetwork(spec(true));
  await assert.rejects(
    () => train(net, data, { batchSize: 32, strategy: pipeline({ workers: 2 }) }),
    /Cannot run this network in a pipeline: layer 0 is forward-unlocked \(forwardUnlock\), which runs on one thread for now/,
  );
  assert.throws(
    () => tf.tidy(() => void net.trainRange(0, 0, tf.zeros([2, 8]), { step: 0 })),
    /Cannot train layers 0\.\.0 apart: layer 0 is forward-unlocked/,
  );
  net.dispose();
});

Deno.test("buildNetwork() rejects a bad forwardUnlock naming the field and the value", () => {
  const before = tf.memory().numTensors;
  const rejects = (mutate: (s: NetworkSpec) => void, pattern: RegExp) => {
    const s = spec(true);
    mutate(s);
    assert.throws(() => buildNetwork(s), (e: Error) => {
      assert.ok(e instanceof SpecError, `expected a SpecError, got ${e}`);
      assert.match(e.message, pattern);
      return true;
    });
  };
  rejects(
    (s) => s.layers[2]!.forwardUnlock = true,
    /layers\[2\]\.forwardUnlock must not be set: the output layer has no layers above it to unlock, got true/,
  );
  rejects(
    (s) => s.layers[0]!.interface = "backprop",
    /layers\[0\]\.forwardUnlock needs a decoupling interface on layers\[0\] .*not "backprop".*, got true/,
  );
  rejects((s) => delete s.layers[0]!.interface, /layers\[0\]\.forwardUnlock needs a decoupling interface/);
  rejects(
    (s) => s.layers[0]!.forwardUnlock = "yes" as never,
    /layers\[0\]\.forwardUnlock must be true, false or an object/,
  );
  rejects(
    (s) => s.layers[0]!.forwardUnlock = { hiden: [4] } as never,
    /layers\[0\]\.forwardUnlock\.hiden is not a known field \(known: hidden, conditioned, optimizer\)/,
  );
  rejects(
    (s) => s.layers[0]!.forwardUnlock = { hidden: [0] },
    /layers\[0\]\.forwardUnlock\.hidden\[0\] must be a positive/,
  );
  rejects(
    (s) => s.layers[0]!.forwardUnlock = { conditioned: 1 } as never,
    /layers\[0\]\.forwardUnlock\.conditioned must be true or false, got 1/,
  );
  rejects(
    (s) => s.layers[0]!.forwardUnlock = { optimizer: "adamw" },
    /layers\[0\]\.forwardUnlock\.optimizer is not a known optimizer \(known: .*\), got "adamw"/,
  );
  assert.equal(tf.memory().numTensors, before, "a rejected spec leaves nothing allocated");
});
