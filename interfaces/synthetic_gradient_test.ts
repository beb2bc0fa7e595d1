import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { batches } from "../datasets/dataset.ts";
import { syntheticDataset } from "../datasets/synthetic.ts";
import { SpecError } from "../errors.ts";
import { buildNetwork } from "../network/build.ts";
import { probeGradients } from "../network/probe.ts";
import type { Network } from "../network/network.ts";
import { createRegistries } from "../network/registries.ts";
import type { LayerSpec, NetworkSpec } from "../network/spec.ts";
import { Random } from "../random.ts";
import { assertClose } from "../tests/_helpers.ts";
import { batchTensors } from "../training/evaluate.ts";
import { train } from "../training/train.ts";
import { hasDiagnostics } from "./interface.ts";
import { type SynthesizerModel, SyntheticGradient } from "./synthetic_gradient.ts";

const data = syntheticDataset({ features: 16, classes: 4, trainCount: 384, testCount: 128, seed: 2 });

function spec(
  interfaces: (string | Record<string, unknown>)[],
  optimizer: NetworkSpec["optimizer"] = "adam",
): NetworkSpec {
  return {
    input: [16],
    layers: [
      ...interfaces.map((iface): LayerSpec => ({
        type: "dense",
        units: 12,
        activation: "tanh",
        interface: iface as LayerSpec["interface"],
      })),
      { type: "dense", units: 4 },
    ],
    loss: "softmax-cross-entropy",
    optimizer,
  };
}

function steps(net: Network, n: number, batchSize = 32): void {
  let i = 0;
  for (const batch of batches(data.train, 16, batchSize, 7)) {
    const { x, labels } = batchTensors(batch, 16, 4);
    net.trainStep(x, labels);
    tf.dispose([x, labels]);
    if (++i === n) break;
  }
}

const weights = (net: Network) => net.layers.flatMap((l) => l.trainable.map((v) => v.dataSync().slice()));

// A synthesizer that returns the true per-example gradient, computed from the layers above with their current
// weights: an SG interface with it must train exactly like backprop.
function oracle(getNet: () => Network, layer: number): SynthesizerModel {
  return {
    variables: [],
    dispose() {},
    forward(trigger, labels) {
      const net = getNet();
      const caches: unknown[] = [];
      let out = trigger;
      for (let j = layer + 1; j < net.layers.length; j++) {
        const r = net.layers[j]!.forward(out, "probe");
        caches.push(r.cache);
        out = r.output;
      }
      let g: tf.Tensor | undefined = net.loss.compute(out as tf.Tensor2D, labels!).gradient;
      for (let j = net.layers.length - 1; j > layer; j--) {
        g = net.layers[j]!.backward(caches[j - layer - 1], g!, true).inputGradient;
      }
      return { output: tf.mul(g!, trigger.shape[0]!), caches: [] };
    },
    fit: () => tf.scalar(0),
  };
}

// Registries where "oracle" is a conditioned SG interface with the oracle synthesizer of its layer.
function oracleRegistries(holder: { net?: Network }) {
  const registries = createRegistries();
  registries.interfaces.register("oracle", (_config, context) => {
    const layer = Number(context.path.match(/layers\[(\d+)\]/)![1]);
    return new SyntheticGradient(true, oracle(() => holder.net!, layer), { type: "oracle" }, new Random(0));
  });
  return registries;
}

function assertOracleProbes(net: Network, decoupled: number[], features: number): void {
  const probe = batchTensors(
    { x: data.train.x.subarray(0, 64 * features), labels: data.train.labels.subarray(0, 64), size: 64 },
    features,
    4,
  );
  const measured = probeGradients(net, probe.x, probe.labels);
  assert.deepEqual(measured.map((m) => m.layer), decoupled);
  for (const m of measured) {
    for (const value of [m.cosine, m.normRatio, m.weightCosine]) {
      assert.ok(Math.abs(value - 1) < 1e-4, JSON.stringify(m));
    }
  }
  tf.dispose([probe.x, probe.labels]);
}

for (const decoupled of [[0], [1], [0, 1, 2]]) {
  Deno.test(`an sg interface whose synthesizer returns the true gradient trains exactly like backprop (layers ${decoupled})`, () => {
    const reference = buildNetwork(spec(["backprop", "backprop", "backprop"]), { seed: 4 });
    const holder: { net?: Network } = {};
    const net = holder.net = buildNetwork(spec([0, 1, 2].map((i) => decoupled.includes(i) ? "oracle" : "backprop")), {
      seed: 4,
      registries: oracleRegistries(holder),
    });
    steps(reference, 6);
    steps(net, 6);
    const a = weights(reference), b = weights(net);
    a.forEach((w, i) => assertClose(b[i]!, w, { atol: 1e-6, rtol: 1e-5, what: `variable ${i}` }));
    // The diagnostics measure the oracle as perfect.
    assertOracleProbes(net, decoupled, 16);
    assert.notDeepEqual(a[0], weights(buildNetwork(spec(["backprop", "backprop", "backprop"]), { seed: 4 }))[0]);
    reference.dispose();
    net.dispose();
  });
}

// A small CNN on the 16 features as a 4 x 4 x 1 image: conv (BN) -> pool -> conv -> flatten -> dense.
function cnnSpec(first: string, second: string): NetworkSpec {
  return {
    input: [4, 4, 1],
    layers: [
      {
        type: "conv2d",
        filters: 3,
        kernelSize: 3,
        padding: "same",
        activation: "relu",
        batchNorm: true,
        interface: first,
      },
      { type: "maxPool2d", poolSize: 2 },
      { type: "conv2d", filters: 4, kernelSize: 2, padding: "same", activation: "tanh", interface: second },
      { type: "flatten" },
      { type: "dense", units: 4 },
    ],
    loss: "softmax-cross-entropy",
    optimizer: "adam",
  };
}

for (const decoupled of [[0], [2], [0, 2]]) {
  Deno.test(`on conv layers too, an oracle synthesizer trains exactly like backprop (layers ${decoupled})`, () => {
    const reference = buildNetwork(cnnSpec("backprop", "backprop"), { seed: 5 });
    const holder: { net?: Network } = {};
    const pick = (i: number) => decoupled.includes(i) ? "oracle" : "backprop";
    const net = holder.net = buildNetwork(cnnSpec(pick(0), pick(2)), { seed: 5, registries: oracleRegistries(holder) });
    steps(reference, 6);
    steps(net, 6);
    const a = weights(reference), b = weights(net);
    a.forEach((w, i) => assertClose(b[i]!, w, { atol: 1e-5, rtol: 1e-4, what: `variable ${i}` }));
    assertOracleProbes(net, decoupled, 16);
    reference.dispose();
    net.dispose();
  });
}

Deno.test("an oracle synthesizer on a pooling layer (driving the conv block below it) trains exactly like backprop", () => {
  const onPool = (iface: string): NetworkSpec => {
    const spec = cnnSpec("backprop", "backprop");
    spec.layers[1] = { ...spec.layers[1]!, interface: iface };
    return spec;
  };
  const reference = buildNetwork(onPool("backprop"), { seed: 6 });
  const holder: { net?: Network } = {};
  const net = holder.net = buildNetwork(onPool("oracle"), { seed: 6, registries: oracleRegistries(holder) });
  steps(reference, 6);
  steps(net, 6);
  const a = weights(reference), b = weights(net);
  a.forEach((w, i) => assertClose(b[i]!, w, { atol: 1e-5, rtol: 1e-4, what: `variable ${i}` }));
  assertOracleProbes(net, [1], 16); // the weight cosine is the conv layer's below the pool
  reference.dispose();
  net.dispose();
});

Deno.test("a zero-initialised synthesizer gives a zero first update, then learns", () => {
  for (const type of ["sg", "csg"]) {
    const net = buildNetwork(spec([type, "backprop"]));
    const before = weights(net);
    const synthOut = () => net.interfaces[0]!.variables.map((v) => v.dataSync().slice());
    assert.ok(synthOut().every((w) => w.every((v) => v === 0)), "synthesizer output layer starts at zero");
    steps(net, 1);
    const after = weights(net);
    assert.deepEqual(after[0], before[0], `${type}: layer 0 kernel unchanged by the zero synthetic gradient`);
    assert.deepEqual(after[1], before[1], `${type}: layer 0 bias unchanged`);
    assert.notDeepEqual(after[2], before[2], `${type}: layer 1 got the true gradient`);
    assert.ok(synthOut().some((w) => w.some((v) => v !== 0)), `${type}: the synthesizer learned from the message`);
    steps(net, 1);
    assert.notDeepEqual(weights(net)[0], before[0], `${type}: layer 0 moves once the synthesizer predicts`);
    net.dispose();
  }
});

Deno.test("a trained csg synthesizer's cosine to the true gradient rises above 0.5 on a synthetic task", async () => {
  const net = buildNetwork(spec(["csg", "csg"], { type: "adam", learningRate: 0.003 }), { seed: 1 });
  const history = await train(net, data, { epochs: 8, batchSize: 32, seed: 3, probeSize: 128 });
  const first = history.epochs[0]!.interfaces!, last = history.epochs[7]!.interfaces!;
  assert.deepEqual(last.map((d) => [d.layer, d.type]), [[0, "csg"], [1, "csg"]]);
  for (const d of last) {
    assert.ok(
      d.cosine! > 0.5,
      `layer ${d.layer}: cosine ${d.cosine} after 8 epochs (first epoch ${first[d.layer]!.cosine})`,
    );
    assert.ok(Number.isFinite(d.synthesizerLoss as number));
  }
  assert.ok(history.epochs[7]!.testAccuracy! > 0.8, `test accuracy ${history.epochs[7]!.testAccuracy}`);
  net.dispose();
});

Deno.test("measuring the diagnostics does not change training", async () => {
  const run = async (probeSize: number) => {
    const net = buildNetwork(spec(["sg", { type: "csg", hidden: [8], batchNorm: true }]), { seed: 3 });
    await train(net, data, { epochs: 2, batchSize: 64, probeSize, validate: probeSize > 0 });
    const w = [...weights(net), ...net.interfaces.flatMap((i) => i.variables.map((v) => v.dataSync().slice()))];
    net.dispose();
    return w;
  };
  assert.deepEqual(await run(0), await run(128));
});

Deno.test("sg and csg leak no tensors across steps, synthesizers and their optimizers included", async () => {
  for (const iface of ["sg", "csg", { type: "sg", hidden: [16, 8], batchNorm: true, optimizer: "rmsprop" }]) {
    const net = buildNetwork(spec([iface, iface, "backprop"]));
    steps(net, 1);
    net.interfaces.forEach((i) => hasDiagnostics(i) && i.diagnostics());
    const start = tf.memory().numTensors;
    steps(net, 10);
    net.interfaces.forEach((i) => hasDiagnostics(i) && i.diagnostics());
    assert.equal(tf.memory().numTensors, start, JSON.stringify(iface));
    net.dispose();
  }
  const start = tf.memory().numTensors;
  const net = buildNetwork(spec(["sg", "csg"]));
  await train(net, data, { epochs: 1, batchSize: 64 });
  net.dispose();
  assert.equal(tf.memory().numTensors, start, "dispose() frees synthesizers too");
});

Deno.test("stochastic updates: with updateProbability near 0 the layer below never moves, the synthesizer still learns", () => {
  const net = buildNetwork(spec([{ type: "csg", updateProbability: 1e-9 }, "backprop"]));
  const before = weights(net);
  steps(net, 4);
  assert.deepEqual(weights(net)[0], before[0]);
  assert.ok(net.interfaces[0]!.variables.some((v) => v.dataSync().some((x) => x !== 0)));
  net.dispose();
});

Deno.test("sg and csg fill in their defaults and round-trip through getSpec()", () => {
  const net = buildNetwork(spec(["sg", { type: "csg", hidden: [32], optimizer: { type: "sgd", learningRate: 0.1 } }]));
  const s = net.getSpec();
  assert.deepEqual(s.layers[0]!.interface, {
    type: "sg",
    hidden: [],
    batchNorm: false,
    // The synthesizer's default optimizer: the network's (adam, 0.001) at 3x its learning rate.
    optimizer: { type: "adam", learningRate: 0.003, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    scale: 0.3, // sg's default; csg's is 1
    updateProbability: 1,
  });
  assert.deepEqual((s.layers[1]!.interface as Record<string, unknown>).optimizer, { type: "sgd", learningRate: 0.1 });
  // The network's schedule comes with it; its rate is scaled.
  const scheduled = buildNetwork(
    spec(["sg"], { type: "sgd", learningRate: 0.01, schedule: { type: "step", boundaries: [5], factor: 0.5 } }),
  );
  assert.deepEqual((scheduled.getSpec().layers[0]!.interface as Record<string, unknown>).optimizer, {
    type: "sgd",
    learningRate: 0.03,
    schedule: { type: "step", boundaries: [5], factor: 0.5 },
  });
  scheduled.dispose();
  const again = buildNetwork(JSON.parse(JSON.stringify(s)));
  assert.deepEqual(again.getSpec(), s);
  net.dispose();
  again.dispose();
});

Deno.test("sg rejects bad options naming the field and the value", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ type: "sg", hidden: 3 }, /layers\[0\]\.interface\.hidden must be an array of layer widths, got 3/],
    [{ type: "sg", hidden: [0] }, /layers\[0\]\.interface\.hidden\[0\] must be a positive integer, got 0/],
    [
      { type: "csg", optimizer: "lbfgs" },
      /layers\[0\]\.interface\.optimizer is not a known optimizer \(known: sgd, momentum, adam, rmsprop\), got "lbfgs"/,
    ],
    [
      { type: "sg", optimizer: { type: "adam", learningRate: -1 } },
      /layers\[0\]\.interface\.optimizer\.learningRate must be a finite number > 0, got -1/,
    ],
    [{ type: "sg", scale: 0 }, /layers\[0\]\.interface\.scale must be a finite number > 0, got 0/],
    [{ type: "sg", updateProbability: 1.5 }, /layers\[0\]\.interface\.updateProbability must be a number in/],
    [{ type: "sg", hiden: [3] }, /layers\[0\]\.interface\.hiden is not a known field/],
  ];
  for (const [iface, pattern] of cases) {
    assert.throws(() => buildNetwork(spec([iface])), (e: Error) => e instanceof SpecError && pattern.test(e.message));
  }
});
