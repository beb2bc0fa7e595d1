import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { syntheticDataset } from "../datasets/synthetic.ts";
import { buildNetwork } from "../network/build.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { createRegistries } from "../network/registries.ts";
import { loadPlugin } from "../network/plugins.ts";
import { CoupledBase } from "../interfaces/base.ts";
import { oneThread } from "../execution/one_thread.ts";
import { train } from "../training/train.ts";
import { createDrtp } from "../examples/plugins/drtp.ts";
import { dataParallel } from "./data_parallel/data_parallel.ts";
import { layerCosts, partition, planStages } from "./partition.ts";
import { holdOneBlasThread } from "./_blas_threads.ts";
import { pipeline, WorkerError } from "./pipeline.ts";
import { workerPlan, workersStrategy } from "./workers.ts";

import { data, spec, weights } from "../tests/_pipeline_fixture.ts";
type Net = ReturnType<typeof buildNetwork>;
type Hist = Awaited<ReturnType<typeof train>>;

// Trains a network built by `make` on one thread, then fresh ones on a staleness-0 pipeline of each Worker count,
// asserting the same losses and every weight; `check` asserts more of each pipelined run.
async function pipelineMatchesOneThread(
  make: () => Net,
  dataset: typeof data,
  batchSize: number,
  workerCounts: number[],
  check: (workers: number, piped: Net, h2: Hist, h1: Hist) => void = () => {},
): Promise<void> {
  const single = make();
  // The reference runs with one BLAS thread, as every Worker of a pipeline does (`holdOneBlasThread`): OpenBLAS may
  // split a GEMM's sum across threads, and then two threads round differently from one (measured on an Intel Xeon
  // for the conv net's im2col GEMM: epoch 2's loss 1.1439530352751415 against 1.1439530551433563). The contract is
  // the same arithmetic, decoupled: staleness 0 equals one thread at the same BLAS thread count.
  const release = holdOneBlasThread();
  let h1: Hist;
  try {
    h1 = await train(single, dataset, { epochs: 2, batchSize, seed: 3 });
  } finally {
    release();
  }
  for (const workers of workerCounts) {
    const piped = make();
    const h2 = await train(piped, dataset, {
      epochs: 2,
      batchSize,
      seed: 3,
      strategy: pipeline({ workers, staleness: 0 }),
    });
    assert.deepEqual(h2.epochs.map((e) => e.loss), h1.epochs.map((e) => e.loss), `${workers} workers: losses`);
    assert.deepEqual(weights(piped), weights(single), `${workers} workers: every weight, synthesizers included`);
    check(workers, piped, h2, h1);
    piped.dispose();
  }
  single.dispose();
}

Deno.test("a pipeline of Workers with staleness 0 trains exactly like the single thread", async () => {
  await pipelineMatchesOneThread(() => buildNetwork(spec), data, 32, [2, 3], (workers, _piped, h2, h1) => {
    assert.equal(h2.epochs[0]!.stages!.length, workers);
    // On 2 Workers the upper stage hands the last product of its message to the stage below (costs balance).
    if (workers === 2) assert.equal(h2.epochs[0]!.stages![1]!.messageBelow, true);
    assert.deepEqual(h2.epochs.map((e) => e.testAccuracy), h1.epochs.map((e) => e.testAccuracy));
    // The synthesizers' own numbers come back from the Workers; the probe runs on the gathered network.
    assert.deepEqual(h2.epochs.map((e) => e.interfaces), h1.epochs.map((e) => e.interfaces), `${workers}: diagnostics`);
    for (const s of h2.epochs[1]!.stages!) assert.equal(s.maxStaleness, 0);
  });
});

Deno.test("Workers start from the network's current weights and step count: a second train() call continues", async () => {
  // Plain SGD has no optimizer state, so continuing in Workers must equal continuing on one thread exactly.
  const sgd: NetworkSpec = { ...spec, optimizer: { type: "sgd", learningRate: 0.05 } };
  const single = buildNetwork(sgd), piped = buildNetwork(sgd);
  await train(single, data, { epochs: 1, batchSize: 32, seed: 3 });
  tf.tidy(() => piped.variables.forEach((v, i) => v.assign(single.variables[i]!)));
  piped.steps = single.steps;
  await train(single, data, { epochs: 1, batchSize: 32, seed: 4 });
  await train(piped, data, { epochs: 1, batchSize: 32, seed: 4, strategy: pipeline({ staleness: 0 }) });
  assert.deepEqual(weights(piped), weights(single));
  assert.equal(piped.steps, single.steps);
  const bp: NetworkSpec = { input: [40], layers: [{ type: "dense", units: 4 }], optimizer: sgd.optimizer };
  const a = buildNetwork(bp), b = buildNetwork(bp);
  await train(a, data, { epochs: 1, batchSize: 32, seed: 3 });
  tf.tidy(() => b.variables.forEach((v, i) => v.assign(a.variables[i]!)));
  b.steps = a.steps;
  await train(a, data, { epochs: 1, batchSize: 32, seed: 4 });
  await train(b, data, { epochs: 1, batchSize: 32, seed: 4, strategy: dataParallel({ workers: 2 }) });
  weights(a).forEach((w, i) => w.forEach((v, j) => assert.ok(Math.abs(v - weights(b)[i]![j]!) < 1e-4, `${i}[${j}]`)));
  assert.equal(b.steps, a.steps);
  for (const n of [single, piped, a, b]) n.dispose();
});

Deno.test("a pipeline with staleness 2 runs ahead by at most 2 batches and still learns", async () => {
  const net = buildNetwork(spec);
  const h = await train(net, data, { epochs: 3, batchSize: 16, seed: 1, strategy: pipeline({ staleness: 2 }) });
  for (const e of h.epochs) for (const s of e.stages!) assert.ok(s.maxStaleness <= 2 && s.busySeconds > 0);
  assert.ok(h.epochs[2]!.testAccuracy! > 0.6, `test accuracy ${h.epochs[2]!.testAccuracy}`);
  assert.ok(h.epochs[2]!.interfaces!.every((d) => Number.isFinite(d.cosine)));
  net.dispose();
});

Deno.test("a Worker that throws ends train() within seconds with an error naming the module", async () => {
  const net = buildNetwork(spec);
  const start = performance.now();
  await assert.rejects(
    () =>
      train(net, data, { epochs: 1, batchSize: 16, strategy: pipeline({ workers: 2, staleness: 1, failStage: 1 }) }),
    (e: Error) => e instanceof WorkerError && /Module 1 \(layers \d-3\) failed: injected failure/.test(e.message),
  );
  assert.ok(performance.now() - start < 10_000);
  net.dispose();
});

Deno.test("a callback that throws during a Worker epoch ends train() with its error; the next train() starts afresh", async () => {
  const net = buildNetwork(spec);
  for (const strategy of [pipeline({ workers: 2 }), dataParallel({ workers: 2 })]) {
    const s = strategy.name.startsWith("pipeline")
      ? net
      : buildNetwork({ ...spec, layers: [{ type: "dense", units: 4 }] });
    const stop = () => {
      throw new Error("stop here");
    };
    await assert.rejects(
      () => train(s, data, { batchSize: 64, strategy, callbacks: { onBatchEnd: stop } }),
      /^Error: stop here$/,
    );
    // The same strategy object runs again once the failed run has stopped it.
    const h = await train(s, data, { batchSize: 64, strategy });
    assert.equal(h.epochs.length, 1, strategy.name);
    if (s !== net) s.dispose();
  }
  net.dispose();
});

Deno.test("a backprop network on 2 Workers trains data-parallel, like the single thread up to float rounding", async () => {
  const bp: NetworkSpec = {
    input: [40],
    layers: [{ type: "dense", units: 12, activation: "tanh" }, { type: "dense", units: 4 }],
    optimizer: { type: "sgd", learningRate: 0.1 },
  };
  const single = buildNetwork(bp), parallel = buildNetwork(bp);
  const h1 = await train(single, data, { epochs: 2, batchSize: 32, seed: 2 });
  const h2 = await train(parallel, data, { epochs: 2, batchSize: 32, seed: 2, strategy: dataParallel({ workers: 2 }) });
  const a = weights(single), b = weights(parallel);
  a.forEach((w, i) => w.forEach((v, j) => assert.ok(Math.abs(v - b[i]![j]!) < 1e-4, `variable ${i}[${j}]`)));
  assert.ok(Math.abs(h1.epochs[1]!.loss - h2.epochs[1]!.loss) < 1e-4);
  assert.equal(h2.epochs[1]!.testAccuracy, h1.epochs[1]!.testAccuracy);
  single.dispose();
  parallel.dispose();
});

Deno.test("a conv net in a pipeline with staleness 0 trains exactly like the single thread (shaped stage inputs)", async () => {
  const images = syntheticDataset({ features: 64, classes: 3, trainCount: 96, testCount: 24, seed: 2 });
  const conv: NetworkSpec = {
    input: [8, 8, 1],
    layers: [
      { type: "conv2d", filters: 4, kernelSize: 3, padding: "same", activation: "relu", interface: "csg" },
      { type: "maxPool2d", poolSize: 2 },
      { type: "conv2d", filters: 4, kernelSize: 3, padding: "same", activation: "relu", interface: "sg" },
      { type: "flatten" },
      { type: "dense", units: 8, activation: "relu", interface: "csg" },
      { type: "dense", units: 3 },
    ],
    optimizer: { type: "adam", learningRate: 0.01 },
  };
  await pipelineMatchesOneThread(() => buildNetwork(conv), images, 16, [3], (_workers, _piped, h2) => {
    assert.deepEqual(h2.epochs[0]!.stages!.map((s) => [s.lo, s.hi]), [[0, 0], [1, 2], [3, 5]]);
  });
});

Deno.test("local-loss in a pipeline with staleness 0 trains exactly like the single thread, sending no messages", async () => {
  const local: NetworkSpec = {
    ...spec,
    layers: [
      { type: "dense", units: 12, activation: "relu", interface: "local-loss" },
      { type: "dense", units: 12, activation: "relu", interface: "backprop" },
      { type: "dense", units: 12, activation: "relu", interface: "local-loss" },
      { type: "dense", units: 4 },
    ],
  };
  await pipelineMatchesOneThread(() => buildNetwork(local), data, 32, [2, 3], (_workers, _piped, h2) => {
    // The upper stages need not compute the message, so none hands its last product below.
    for (const s of h2.epochs[0]!.stages!) assert.notEqual(s.messageBelow, true);
  });
});

// The drtp example plugin on layer 0 (a decoupling interface from outside the library), csg on layer 1.
const drtpSpec: NetworkSpec = {
  ...spec,
  layers: [
    { type: "dense", units: 12, activation: "tanh", interface: "drtp" },
    { type: "dense", units: 12, activation: "relu", interface: "csg" },
    { type: "dense", units: 4 },
  ],
};
// A coupled plugin interface: the message, unchanged.
class Straight extends CoupledBase {
  backward(message: tf.Tensor): tf.Tensor {
    return message.clone();
  }
}
const drtpUrl = new URL("../examples/plugins/drtp.ts", import.meta.url).href;

Deno.test("a network on a plugin interface loaded with loadPlugin() runs in the pipeline exactly like one thread", async () => {
  const registries = createRegistries();
  await loadPlugin(drtpUrl, registries);
  await pipelineMatchesOneThread(
    () => buildNetwork(drtpSpec, { registries }),
    data,
    32,
    [2, 3],
    (workers, piped, h2) => {
      assert.deepEqual(piped.plugins, [drtpUrl]);
      // Cut at the plugin's interface too: one stage per layer on 3 Workers.
      assert.equal(h2.epochs[0]!.stages!.length, workers);
    },
  );
});

Deno.test("an interface registered without a plugin module stops a Worker strategy at start, saying how to load it", async () => {
  const registries = createRegistries();
  registries.interfaces.register("drtp", createDrtp);
  registries.interfaces.register("straight", (config) => new Straight(config));
  const pattern = (name: string, layer: number) =>
    new RegExp(
      `^Error: Cannot run the interface of layer ${layer}, "${name}", in a Worker: no plugin module registers it ` +
        `\\(plugins loaded: none\\)\\..*loadPlugin\\(url, registries\\).*--plugin PATH`,
    );
  const net = buildNetwork(drtpSpec, { registries });
  const start = performance.now();
  await assert.rejects(() => train(net, data, { strategy: pipeline({ workers: 2 }) }), pattern("drtp", 0));
  assert.ok(performance.now() - start < 5_000, "at start, before any Worker trains");
  // On one thread it trains as before.
  await train(net, data, { epochs: 1, batchSize: 64, strategy: oneThread() });
  net.dispose();
  const bp = buildNetwork({
    input: [40],
    layers: [{ type: "dense", units: 8, interface: "straight" }, { type: "dense", units: 4 }],
  }, { registries });
  await assert.rejects(() => train(bp, data, { strategy: dataParallel({ workers: 2 }) }), pattern("straight", 0));
  bp.dispose();
});

Deno.test("train() returns a Promise of the same History in every mode", async () => {
  const bp: NetworkSpec = { input: [40], layers: [{ type: "dense", units: 8 }, { type: "dense", units: 4 }] };
  for (
    const [s, strategy] of [
      [spec, oneThread()],
      [spec, pipeline({ workers: 2 })],
      [bp, dataParallel({ workers: 2 })],
    ] as const
  ) {
    const net = buildNetwork(s);
    const p = train(net, data, { epochs: 1, batchSize: 64, strategy });
    assert.ok(p instanceof Promise, strategy.name);
    const h = await p;
    assert.equal(h.epochs.length, 1);
    assert.ok(h.samplesPerSecond > 0 && h.epochs[0]!.testAccuracy! >= 0, strategy.name);
    assert.equal(net.steps, 4, `${strategy.name}: the network counts every step`);
    net.dispose();
  }
});

Deno.test("workerPlan() runs no more Workers than modules, nor than cores (but 2 when 2 are asked), and says why", () => {
  const bp = buildNetwork({ input: [40], layers: [{ type: "dense", units: 8 }, { type: "dense", units: 4 }] });
  const sg = buildNetwork(spec); // 3 decoupling interfaces: 4 modules
  assert.deepEqual(workerPlan(sg, 64, 16), { workers: 4, capped: "the network has 4 modules" });
  assert.deepEqual(workerPlan(sg, 64, 2), {
    workers: 2,
    capped: "the network has 4 modules and this machine has 2 cores",
  });
  assert.deepEqual(workerPlan(sg, 3, 16), { workers: 3 });
  assert.deepEqual(workerPlan(bp, 64, 2), { workers: 2, capped: "this machine has 2 cores" });
  assert.deepEqual(workerPlan(bp, 2, 1), { workers: 2 }, "2 asked: 2 run, even on one core");
  assert.deepEqual(workerPlan(bp, 1, 1), { workers: 1 });
  bp.dispose();
  sg.dispose();
});

Deno.test("workersStrategy() cuts a network with a decoupling interface, else splits batches; a pipeline needs a cut", async () => {
  const bp = buildNetwork({ input: [40], layers: [{ type: "dense", units: 8 }, { type: "dense", units: 4 }] });
  const sg = buildNetwork(spec);
  assert.match(workersStrategy(sg, { workers: 3, staleness: 2 }).name, /^pipeline \(3 workers, staleness 2\)$/);
  assert.match(workersStrategy(bp, { workers: 2 }).name, /^data-parallel/);
  assert.equal(workersStrategy(bp, { workers: 1 }).name, "one thread");
  await assert.rejects(
    () => train(bp, data, { strategy: pipeline({ workers: 2 }) }),
    /^RangeError: Cannot run this network in a pipeline: none of its interfaces decouples \(interfaces: backprop\)/,
  );
  await assert.rejects(
    () => train(sg, data, { strategy: dataParallel({ workers: 2 }) }),
    /^RangeError: Data-parallel training needs every interface to be coupled \(backprop\): the interface "csg" of layer 0 decouples/,
  );
  assert.throws(() => pipeline({ workers: 1 }), /^RangeError: workers must be an integer >= 2 for a pipeline, got 1$/);
  bp.dispose();
  sg.dispose();
});

Deno.test("planStages() gives the upper stage's message product to the stage below when that balances them", () => {
  const net = buildNetwork({
    input: [784],
    layers: [
      { type: "dense", units: 256, activation: "relu", interface: "csg" },
      { type: "dense", units: 256, activation: "relu", interface: "csg" },
      { type: "dense", units: 256, activation: "relu", interface: "csg" },
      { type: "dense", units: 10 },
    ],
  });
  const costs = layerCosts(net);
  // Layer 0 needs no input gradient: forward and weight gradient only.
  assert.equal(costs[0], 2 * 784 * 256 + 3 * 266 * 256);
  const stages = planStages(net, 2);
  assert.deepEqual(stages.map((s) => [s.lo, s.hi, s.messageBelow === true]), [[0, 0, false], [1, 3, true]]);
  assert.deepEqual(stages.map((s) => s.cost), [costs[0]! + 256 * 256, costs[1]! + costs[2]! + costs[3]! - 256 * 256]);
  // A stage that is already the cheaper one keeps its product.
  const wide = buildNetwork({
    input: [4096],
    layers: [{ type: "dense", units: 64, interface: "sg" }, { type: "dense", units: 10 }],
  });
  assert.deepEqual(planStages(wide, 2).map((s) => s.messageBelow === true), [false, false]);
  net.dispose();
  wide.dispose();
});

Deno.test("layerCosts() counts a conv synthesizer's kernel at every position and its matrices on the whole map once", () => {
  const net = buildNetwork(JSON.parse(Deno.readTextFileSync(new URL("../examples/cnn_sg.json", import.meta.url))));
  const shapes = net.interfaces[0]!.variables.map((v) => v.shape);
  assert.deepEqual(shapes.filter((s) => s.length >= 2), [[5, 5, 16, 16], [12544, 32], [32, 12544]]);
  // conv 5x5x1x16 at 28x28 (forward and weight gradient), the synthesizer's kernel at 28x28 positions, its two
  // matrices on the flattened 28x28x16 map once each
  assert.equal(layerCosts(net)[0], 2 * 28 * 28 * 25 * 16 + 3 * 6400 * 784 + 3 * 2 * 12544 * 32);
  net.dispose();
});

Deno.test("partition() balances the stages' estimated costs at the allowed cuts", () => {
  assert.deepEqual(partition([10, 4, 4, 2], [0, 1, 2], 2).map((s) => [s.lo, s.hi]), [[0, 0], [1, 3]]);
  assert.deepEqual(partition([1, 1, 1, 1], [1], 3).map((s) => [s.lo, s.hi]), [[0, 1], [2, 3]]);
  assert.deepEqual(partition([2, 2, 2, 2], [0, 1, 2], 4).map((s) => s.cost), [2, 2, 2, 2]);
});
