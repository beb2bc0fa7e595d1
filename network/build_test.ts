import assert from "node:assert/strict";
import { SpecError } from "../errors.ts";
import { Backprop } from "../interfaces/backprop.ts";
import { buildNetwork } from "./build.ts";
import { createRegistries } from "./registries.ts";
import type { NetworkSpec } from "./spec.ts";

const spec = (): NetworkSpec => ({
  input: [784],
  layers: [
    { type: "dense", units: 256, activation: "relu", interface: "backprop" },
    { type: "dense", units: 256, activation: "relu", batchNorm: true, interface: { type: "backprop" } },
    { type: "dense", units: 10 },
  ],
  loss: "softmax-cross-entropy",
  optimizer: { type: "adam", learningRate: 0.001 },
});

function rejects(mutate: (s: Record<string, unknown>) => void, pattern: RegExp): void {
  const s = spec() as unknown as Record<string, unknown>;
  mutate(s);
  assert.throws(() => buildNetwork(s as unknown as NetworkSpec), (e: Error) => {
    assert.ok(e instanceof SpecError, `expected a SpecError, got ${e}`);
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("buildNetwork() round-trips its spec through JSON", () => {
  const net = buildNetwork(spec());
  const once = net.getSpec();
  const again = buildNetwork(JSON.parse(JSON.stringify(once)));
  assert.deepEqual(again.getSpec(), once);
  assert.deepEqual(once.layers[0], { type: "dense", units: 256, activation: "relu", interface: { type: "backprop" } });
  assert.deepEqual(once.layers[1]!.batchNorm, true);
  assert.deepEqual(once.optimizer, { type: "adam", learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
  assert.equal(net.inputUnits, 784);
  assert.equal(net.outputUnits, 10);
  assert.match(net.toString(), /1: dense\(256 -> 256, bn, relu\) {2}-> \[backprop\]/);
  net.dispose();
  again.dispose();
});

Deno.test("buildNetwork() gives the same initial weights for the same seed, different for another", () => {
  const [a, b, c] = [0, 0, 1].map((seed) => buildNetwork(spec(), { seed }));
  assert.deepEqual(a!.layers[0]!.trainable[0]!.dataSync(), b!.layers[0]!.trainable[0]!.dataSync());
  assert.notDeepEqual(a!.layers[0]!.trainable[0]!.dataSync(), c!.layers[0]!.trainable[0]!.dataSync());
  for (const n of [a, b, c]) n!.dispose();
});

Deno.test("buildNetwork() rejects invalid specs naming the field and the value", () => {
  rejects((s) => delete s.input, /input must be a non-empty array/);
  rejects((s) => s.input = [0], /input\[0\] must be a positive integer, got 0/);
  rejects((s) => s.layers = [], /layers must be a non-empty array/);
  rejects(
    (s) => s.layers = [...Array(2_000_000)].map(() => ({ type: "dense", units: 1 })),
    /layers must have at most 1000 layers \(NETWORK_MAX_LAYERS\), got "2000000 layers"/,
  );
  assert.throws(
    () => buildNetwork(spec(), { maxValues: 1000 }),
    /Invalid spec: layers\[0\] would bring the network's layers to more than the 1000 values allowed here, got "\d+ values"$/,
  );
  rejects(
    (s) => (s.layers as Record<string, unknown>[])[0]!.units = -3,
    /layers\[0\]\.units must be a positive integer, got -3/,
  );
  rejects(
    (s) => (s.layers as Record<string, unknown>[])[1]!.units = 2.5,
    /layers\[1\]\.units must be a positive integer, got 2.5/,
  );
  rejects(
    (s) => (s.layers as Record<string, unknown>[])[2]!.interface = "backprop",
    /layers\[2\]\.interface must not be set: the output layer/,
  );
  rejects(
    (s) => (s.layers as Record<string, unknown>[])[2]!.activation = "relu",
    /layers\[2\]\.activation must be "linear" for loss "softmax-cross-entropy"/,
  );
  rejects((s) => (s.layers as Record<string, unknown>[])[2]!.units = 1, /layers\[2\]\.units must be >= 2/);
  rejects(
    (s) => s.optimizer = { type: "adam", learningRate: 0 },
    /optimizer\.learningRate must be a finite number > 0, got 0/,
  );
  rejects(
    (s) => s.optimizer = { type: "adam", learningRate: "fast" },
    /optimizer\.learningRate must be a finite number > 0, got "fast"/,
  );
  rejects((s) => s.optimizer = { type: "sgd", momentum: 0.9 }, /optimizer\.momentum is not a known field/);
  rejects((s) => s.extra = 1, /spec\.extra is not a known field/);
  rejects((s) => s.seed = 1.5, /seed must be an integer/);
});

Deno.test("buildNetwork() lists the known names for an unknown layer, interface, optimizer or loss", () => {
  rejects(
    (s) => (s.layers as Record<string, unknown>[])[0]!.type = "conv",
    /layers\[0\]\.type is not a known layer \(known: dense, conv2d, maxPool2d, flatten, lstm\), got "conv"/,
  );
  rejects(
    (s) => (s.layers as Record<string, unknown>[])[0]!.interface = "magic",
    /layers\[0\]\.interface is not a known interface \(known: backprop.*\), got "magic"/,
  );
  rejects(
    (s) => s.optimizer = "adagrad",
    /optimizer is not a known optimizer \(known: sgd, momentum, adam, rmsprop\), got "adagrad"/,
  );
  rejects((s) => s.loss = "hinge", /loss is not a known loss \(known: softmax-cross-entropy, mse\), got "hinge"/);
  rejects((s) => s.loss = { name: "mse" }, /loss must be a name or an object with a "type"/);
});

Deno.test("buildNetwork() uses the registries it is given, apart from the default ones", () => {
  const registries = createRegistries();
  registries.interfaces.register("mine", () => new Backprop());
  const s = spec();
  s.layers[0]!.interface = "mine";
  buildNetwork(s, { registries }).dispose();
  assert.throws(() => buildNetwork(s), /is not a known interface/);
  assert.throws(() => registries.interfaces.register("mine", () => new Backprop()), /the name is taken/);
});

Deno.test("buildNetwork() accepts every built-in optimizer by name and config", () => {
  for (
    const optimizer of ["sgd", "momentum", "adam", "rmsprop", { type: "momentum", learningRate: 0.1, nesterov: true }]
  ) {
    const net = buildNetwork({ ...spec(), optimizer });
    assert.equal(net.getSpec().optimizer && typeof net.getSpec().optimizer, "object");
    net.dispose();
  }
});

Deno.test("buildNetwork() takes a per-layer optimizer that overrides the network's, and gives it back", () => {
  const s = spec();
  s.layers[0]!.optimizer = { type: "sgd", learningRate: 0 + 1e-9 };
  const net = buildNetwork(s);
  assert.deepEqual(net.getSpec().layers[0]!.optimizer, { type: "sgd", learningRate: 1e-9 });
  assert.equal(net.getSpec().layers[1]!.optimizer, undefined);
  assert.deepEqual(buildNetwork(net.getSpec()).getSpec(), net.getSpec());
  rejects(
    (t) => (t.layers as Record<string, unknown>[])[1]!.optimizer = "lbfgs",
    /layers\[1\]\.optimizer is not a known optimizer/,
  );
  net.dispose();
});

const CNN = JSON.parse(Deno.readTextFileSync(new URL("../examples/cnn_csg.json", import.meta.url)));

Deno.test("buildNetwork() infers each layer's shape from the spec's input shape (the CNN example)", () => {
  const net = buildNetwork(CNN);
  assert.deepEqual(net.inputShape, [28, 28, 1]);
  assert.equal(net.inputUnits, 784);
  assert.deepEqual(net.layers.map((l) => l.outputShape), [[28, 28, 16], [14, 14, 16], [14, 14, 32], [7, 7, 32], [
    1568,
  ], [10]]);
  assert.deepEqual(net.interfaces.map((i) => [i.type, i.decouples]), [
    ["csg", true],
    ["backprop", false],
    ["csg", true],
    ["backprop", false],
    ["backprop", false],
  ]);
  assert.match(net.toString(), /0: conv2d\(\[28, 28, 1\] -> \[28, 28, 16\], 5x5, same, bn, relu\) {2}-> \[csg\]/);
  assert.deepEqual(buildNetwork(net.getSpec()).getSpec(), net.getSpec());
  net.dispose();
});

Deno.test("buildNetwork() rejects shapes that do not fit, naming the layer and the shapes", () => {
  const conv = { type: "conv2d", filters: 4, kernelSize: 3, padding: "same" };
  assert.throws(
    () => buildNetwork({ input: [28, 28, 1], layers: [conv, { type: "dense", units: 10 }] }),
    /layers\[1\]\.type takes a flat input \[features\] but would get \[28, 28, 4\] per example \(put \{ "type": "flatten" \} before it\), got "dense"/,
  );
  assert.throws(
    () => buildNetwork({ input: [28, 28], layers: [{ type: "dense", units: 10 }] }),
    /layers\[0\]\.type takes a flat input \[features\] but would get \[28, 28\] per example/,
  );
  assert.throws(
    () => buildNetwork({ input: [784], layers: [conv, { type: "flatten" }, { type: "dense", units: 10 }] }),
    (e: Error) => e instanceof SpecError && /layers\[0\]/.test(e.message) && /\[784\]/.test(e.message),
  );
  assert.throws(
    () => buildNetwork({ input: [8, 8, 1], layers: [conv] }),
    /layers\[0\]\.type is the output layer and gives \[8, 8, 4\] per example; the loss needs a flat \[classes\]/,
  );
});

Deno.test("buildNetwork() binds an interface to a layer without weights too: a pooling layer's csg drives the block below", () => {
  const net = buildNetwork({
    input: [8, 8, 1],
    layers: [
      { type: "conv2d", filters: 2, kernelSize: 3, padding: "same" },
      { type: "maxPool2d", poolSize: 2, interface: "csg" },
      { type: "flatten" },
      { type: "dense", units: 3 },
    ],
  });
  assert.deepEqual(net.interfaces.map((i) => i.type), ["backprop", "csg", "backprop"]);
  assert.deepEqual((net.getSpec().layers[1]!.interface as { type: string }).type, "csg");
  assert.equal(net.getSpec().layers[2]!.interface, undefined, "flatten keeps the default, unnamed");
  net.dispose();
});
