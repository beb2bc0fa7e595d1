// Schedules in a network spec: on the network's optimizer and on a synthesizer's, built, trained and round-tripped.
import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { batches } from "../datasets/dataset.ts";
import { syntheticDataset } from "../datasets/synthetic.ts";
import { hasTrainingState } from "../interfaces/interface.ts";
import { buildNetwork } from "../network/build.ts";
import type { Network } from "../network/network.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { batchTensors } from "../training/evaluate.ts";
import { loadCheckpoint } from "../checkpoint/load.ts";
import { saveCheckpoint } from "../checkpoint/save.ts";
import type { OptimizerConfig } from "./optimizer.ts";

const data = syntheticDataset({ features: 16, classes: 4, trainCount: 128, testCount: 32, seed: 5 });

function spec(network: OptimizerConfig, synthesizer: OptimizerConfig): NetworkSpec {
  return {
    input: [16],
    layers: [
      { type: "dense", units: 12, activation: "tanh", interface: { type: "sg", optimizer: synthesizer } },
      { type: "dense", units: 4 },
    ],
    loss: "softmax-cross-entropy",
    optimizer: network,
  };
}

function train(net: Network, n: number): void {
  let i = 0;
  for (const batch of batches(data.train, 16, 32, 3)) {
    const { x, labels } = batchTensors(batch, 16, 4);
    net.trainStep(x, labels);
    tf.dispose([x, labels]);
    if (++i === n) break;
  }
}

const values = (vs: readonly tf.Variable[]) => vs.map((v) => Array.from(v.dataSync()));

Deno.test("a spec with schedules on the network's and a synthesizer's optimizer builds, trains and round-trips", () => {
  const before = tf.memory().numTensors;
  const net = buildNetwork(spec(
    { type: "sgd", learningRate: 0.1, schedule: { type: "step", boundaries: [2], factor: 0.5 } },
    { type: "adam", learningRate: 0.01, schedule: { type: "cosine", steps: 100, warmup: 10 } },
  ));
  const got = net.getSpec();
  assert.deepEqual(got.optimizer, {
    type: "sgd",
    learningRate: 0.1,
    schedule: { type: "step", boundaries: [2], factor: 0.5 },
  });
  const iface = got.layers[0]!.interface as { optimizer?: OptimizerConfig };
  assert.deepEqual(iface.optimizer?.schedule, { type: "cosine", steps: 100, minFactor: 0, warmup: 10 });
  const again = buildNetwork(JSON.parse(JSON.stringify(got)));
  assert.deepEqual(again.getSpec(), got);
  again.dispose();

  train(net, 3);
  assert.deepEqual(net.optimizers.map((o) => o.currentLearningRate), [0.05, 0.05], "after 3 updates, past 2");
  const sg = net.interfaces[0]!;
  assert.ok(hasTrainingState(sg));
  assert.equal(sg.getTrainingState().counters["synthesizer.optimizer.steps"], 3);
  net.dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("a schedule reaches each optimizer: a rate scheduled to zero leaves its variables where they were", () => {
  const zero = { type: "cosine", steps: 1, minFactor: 0 } as const;
  const net = buildNetwork(spec(
    { type: "sgd", learningRate: 0.1, schedule: zero },
    { type: "adam", learningRate: 0.01 },
  ));
  const layers = values(net.layers.flatMap((l) => l.trainable));
  const synthesizer = values(net.interfaces[0]!.variables);
  train(net, 2);
  assert.deepEqual(values(net.layers.flatMap((l) => l.trainable)), layers, "the network's optimizer");
  assert.notDeepEqual(values(net.interfaces[0]!.variables), synthesizer, "the synthesizer learns");
  net.dispose();

  const frozen = buildNetwork(spec({ type: "sgd", learningRate: 0.1 }, { type: "adam", schedule: zero }));
  const before = values(frozen.interfaces[0]!.variables);
  const weights = values(frozen.layers.flatMap((l) => l.trainable));
  train(frozen, 2);
  assert.deepEqual(values(frozen.interfaces[0]!.variables), before, "the synthesizer's optimizer");
  assert.notDeepEqual(values(frozen.layers.flatMap((l) => l.trainable)), weights, "the network learns");
  frozen.dispose();
});

Deno.test("a network loaded from a checkpoint continues its schedules as the saved one does", async () => {
  const net = buildNetwork(spec(
    { type: "sgd", learningRate: 0.1, schedule: { type: "step", boundaries: [3], factor: 0.1 } },
    { type: "adam", learningRate: 0.01, schedule: { type: "cosine", steps: 8, warmup: 4 } },
  ));
  train(net, 2);
  const dir = `${await Deno.makeTempDir()}/ckpt`;
  await saveCheckpoint(net, dir);
  const copy = await loadCheckpoint(dir);
  await Deno.remove(dir, { recursive: true });
  assert.deepEqual(copy.getSpec(), net.getSpec());
  assert.deepEqual(copy.optimizers.map((o) => o.currentLearningRate), [0.1, 0.1], "update 3: before the boundary");
  train(net, 3);
  train(copy, 3);
  assert.deepEqual(copy.optimizers.map((o) => o.currentLearningRate), net.optimizers.map((o) => o.currentLearningRate));
  assert.deepEqual(values(copy.layers.flatMap((l) => l.trainable)), values(net.layers.flatMap((l) => l.trainable)));
  assert.deepEqual(values(copy.interfaces[0]!.variables), values(net.interfaces[0]!.variables));
  net.dispose();
  copy.dispose();
});
