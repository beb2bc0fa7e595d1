import assert from "node:assert/strict";
import { tf } from "../../deps.ts";
import { syntheticDataset } from "../../datasets/synthetic.ts";
import { buildNetwork } from "../../network/build.ts";
import type { NetworkSpec } from "../../network/spec.ts";
import { train } from "../../training/train.ts";
import { pipeline } from "../pipeline.ts";
import type { PipelineProfile } from "../profile.ts";
import { Doorbells } from "./shared/_doorbells.ts";
import { SharedRing } from "./shared/_ring.ts";
import { copyValues, tensorFrom } from "../_values.ts";

const data = syntheticDataset({ features: 20, classes: 3, trainCount: 160, testCount: 32, seed: 4 });
const spec: NetworkSpec = {
  input: [20],
  layers: [
    { type: "dense", units: 10, activation: "relu", interface: "csg" },
    { type: "dense", units: 10, activation: "relu", interface: "csg" },
    { type: "dense", units: 3 },
  ],
  optimizer: { type: "adam", learningRate: 0.01 },
};
const weights = (net: ReturnType<typeof buildNetwork>) => net.variables.map((v) => v.dataSync().slice());

Deno.test("a ring hands items from its writer to its reader in shared memory; misuse is an error", () => {
  const writer = new SharedRing(2, 4, 3);
  const reader = new SharedRing(writer.buffer);
  assert.equal(reader.peek(() => 4), undefined);
  writer.claim(3, "test").set([1, 2, 3]);
  writer.publish(7, 3, new Uint8Array([5, 6, 7]), 11, 12);
  writer.claim(4, "test").set([4, 3, 2, 1]);
  writer.publish(8, 2, new Uint8Array([1, 2]));
  assert.throws(() => writer.claim(1, "test"), /^Error: The test ring is full \(2 slots\)/);
  assert.throws(
    () => new SharedRing(4, 4, 0).claim(5, "test"),
    /^RangeError: 5 values do not fit a test ring slot of 4$/,
  );
  assert.equal(reader.unread(), 2);
  const item = reader.peek((rows, a) => rows + a - 11)!;
  assert.deepEqual([item.step, item.rows, item.a, item.b], [7, 3, 11, 12]);
  assert.deepEqual([...item.values], [1, 2, 3]);
  assert.deepEqual([...item.labels.subarray(0, 3)], [5, 6, 7]);
  assert.throws(
    () => reader.done(99, "message"),
    /slot of the message for step 99 was overwritten \(it holds step 7\)/,
  );
  reader.done(7, "message");
  assert.equal(writer.pending(), 1);
  writer.claim(1, "test"); // the freed slot
  assert.deepEqual([...reader.peek((rows) => 2 * rows)!.values], [4, 3, 2, 1]);
  const bells = new Doorbells(2);
  assert.equal(bells.lower(1), false);
  bells.raise(1);
  assert.equal(bells.lower(1), true);
  assert.equal(bells.lower(1), false, "once");
});

Deno.test("values go in and out of tensors through shared slots on the active backend, copied where needed", () => {
  const slot = new SharedRing(1, 6, 0).claim(6, "test");
  const t = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
  copyValues(t, slot);
  const back = tensorFrom(slot, [3, 2]);
  slot.fill(0); // the slot is reused: the tensor made from it keeps its values
  assert.deepEqual([...back.dataSync()], [1, 2, 3, 4, 5, 6]);
  tf.dispose([t, back]);
});

Deno.test("both transports train exactly like one thread at staleness 0; the profile accounts for each stage", async () => {
  const single = buildNetwork(spec);
  const h1 = await train(single, data, { epochs: 3, batchSize: 32, seed: 2 });
  for (const transport of ["shared", "messages"] as const) {
    const piped = buildNetwork(spec);
    const profiles: PipelineProfile[] = [];
    // Flat from epoch to epoch (after the first gather the network holds its optimizers' slots, as on one thread).
    const tensors: number[] = [];
    const h2 = await train(piped, data, {
      epochs: 3,
      batchSize: 32,
      seed: 2,
      strategy: pipeline({ workers: 2, staleness: 0, transport, onProfile: (p) => profiles.push(p) }),
      callbacks: { onEpochEnd: () => tensors.push(tf.memory().numTensors) },
    });
    assert.deepEqual(tensors, [tensors[0], tensors[0], tensors[0]], `${transport}: no tensor left on this thread`);
    assert.equal(tf.memory().numTensors, tensors[0], `${transport}: none left by stop()`);
    assert.deepEqual(h2.epochs.map((e) => e.loss), h1.epochs.map((e) => e.loss), transport);
    assert.deepEqual(weights(piped), weights(single), transport);
    assert.equal(profiles.length, 3);
    for (const p of profiles) {
      assert.equal(p.transport, transport);
      assert.equal(p.batches, 5);
      assert.ok(p.msPerBatch > 0 && p.coordinatorMs >= 0);
      assert.deepEqual(p.stages.map((s) => [s.lo, s.hi]), h2.epochs[0]!.stages!.map((s) => [s.lo, s.hi]));
      for (const s of p.stages) {
        for (const [part, ms] of Object.entries(s.ms)) assert.ok(ms >= 0 && Number.isFinite(ms), `${part}: ${ms}`);
        assert.ok(s.ms.compute > 0);
      }
    }
    // The stages' Workers hold as many tensors after every epoch: nothing leaks per batch.
    assert.deepEqual(profiles[2]!.stages.map((s) => s.tensors), profiles[1]!.stages.map((s) => s.tensors));
    piped.dispose();
  }
  single.dispose();
});

Deno.test("3 stages on shared memory, running ahead, with a short last batch: every batch counted once", async () => {
  const deep: NetworkSpec = { ...spec, layers: [spec.layers[0]!, spec.layers[0]!, spec.layers[1]!, spec.layers[2]!] };
  const net = buildNetwork(deep);
  const profiles: PipelineProfile[] = [];
  const seen: number[] = [];
  const h = await train(net, data, {
    epochs: 3,
    batchSize: 24, // 160 = 6 x 24 + 16
    strategy: pipeline({ workers: 3, staleness: 2, onProfile: (p) => profiles.push(p) }),
    callbacks: { onBatchEnd: (b) => void seen.push(b.batch) },
  });
  assert.deepEqual(
    seen,
    [1, 2, 3, 4, 5, 6, 7].flatMap((b) => [b]).concat([1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, 5, 6, 7]),
  );
  assert.equal(net.steps, 21);
  assert.ok(h.epochs.every((e) => Number.isFinite(e.loss) && e.stages!.length === 3));
  for (const p of profiles) assert.deepEqual([p.batches, p.stages.length], [7, 3]);
  net.dispose();
});

Deno.test("a pipeline's transport is checked at once", () => {
  assert.throws(
    () => pipeline({ transport: "pigeons" as "shared" }),
    /^RangeError: transport must be "shared", "messages" or "nats", got "pigeons"$/,
  );
});
