import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { syntheticDataset } from "../datasets/synthetic.ts";
import { buildNetwork } from "../network/build.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { train } from "../training/train.ts";
import { pipeline } from "./pipeline.ts";
import type { PipelineProfile } from "./profile.ts";
import { checkSlot, isShared, ringFor, SharedRing } from "./_ring.ts";
import { copyValues, tensorFrom } from "./_values.ts";

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

Deno.test("a ring slot read after its writer reused it is an error, not wrong numbers", () => {
  const ring = new SharedRing(2, 4);
  const a = ring.claim(7, 3);
  a.set([1, 2, 3]);
  ring.publish(7);
  assert.ok(isShared(a) && !isShared(new Float32Array(3)));
  checkSlot(a, 7, "message");
  ring.claim(9, 4); // step 9 takes step 7's slot (2 slots)
  assert.throws(() => checkSlot(a, 7, "message"), /slot of the message for step 7 was overwritten \(it holds a step/);
  ring.publish(9);
  assert.throws(() => checkSlot(a, 7, "message"), /it holds step 9\) before it was read/);
  assert.throws(() => ring.claim(1, 5), /^RangeError: 5 values do not fit a ring slot of 4$/);
  assert.equal(ringFor(ring, 2, 4), ring);
  assert.notEqual(ringFor(ring, 2, 5), ring);
});

Deno.test("values go in and out of tensors through shared slots on the active backend, copied where needed", () => {
  const ring = new SharedRing(1, 6);
  const slot = ring.claim(0, 6);
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
    const tensors = tf.memory().numTensors;
    const h2 = await train(piped, data, {
      epochs: 3,
      batchSize: 32,
      seed: 2,
      strategy: pipeline({ workers: 2, staleness: 0, transport, onProfile: (p) => profiles.push(p) }),
    });
    assert.equal(tf.memory().numTensors, tensors, `${transport}: no tensor left on this thread`);
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

Deno.test("a pipeline's transport is checked at once", () => {
  assert.throws(
    () => pipeline({ transport: "pigeons" as "shared" }),
    /^RangeError: transport must be "shared" or "messages", got "pigeons"$/,
  );
});
