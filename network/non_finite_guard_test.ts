import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { DivergenceError } from "../errors.ts";
import { NonFiniteGuard, nonFinitePolicy } from "./non_finite_guard.ts";

Deno.test("NonFiniteGuard.check() passes finite tensors, a sum that only overflowed included", () => {
  const guard = new NonFiniteGuard();
  const tensors = [tf.tensor1d([1, -2, 3]), tf.tensor2d([[3e38, 3e38]])];
  const before = tf.memory().numTensors;
  assert.equal(guard.check(tensors, () => "x", { step: 0 }), true);
  assert.equal(tf.memory().numTensors, before, "no tensor left behind");
  assert.equal(guard.skipped, 0);
  tf.dispose(tensors);
});

Deno.test("NonFiniteGuard.check() names the first non-finite element, the step and the layer", () => {
  const guard = new NonFiniteGuard();
  const tensors = [tf.tensor1d([1, 2]), tf.tensor1d([0, 5, Infinity, NaN])];
  assert.throws(
    () => guard.check(tensors, (i) => `gradient ${i} of layer 3`, { step: 7, layer: 3 }),
    (e: Error) => {
      assert.ok(e instanceof DivergenceError);
      assert.equal(
        e.message.split(" (lower")[0],
        "Training diverged: element 2 of gradient 1 of layer 3 is Infinity at step 7",
      );
      assert.deepEqual(e.site, { step: 7, layer: 3 });
      assert.match(e.at(2, 5).message, /Infinity at epoch 2, batch 5 \(step 7\) \(lower the learning rate/);
      return true;
    },
  );
  const loss = tf.scalar(NaN);
  assert.throws(() => guard.check([loss], () => "the loss", { step: 0 }), /the loss is NaN at step 0/);
  tf.dispose([...tensors, loss]);
});

Deno.test("NonFiniteGuard.check() with policy skip returns false and counts the updates", () => {
  const guard = new NonFiniteGuard();
  guard.policy = "skip";
  const bad = tf.tensor1d([NaN]);
  assert.equal(guard.check([bad], () => "g", {}, 3), false);
  guard.skip(2);
  assert.equal(guard.skipped, 5);
  bad.dispose();
});

Deno.test("nonFinitePolicy() rejects anything but error and skip", () => {
  assert.equal(nonFinitePolicy("skip"), "skip");
  assert.throws(() => nonFinitePolicy("ignore"), /onNonFinite must be "error" or "skip", got "ignore"/);
});

Deno.test("NonFiniteGuard.check() finds a NaN or an infinity in a large matrix (a sum of 10,000 elements)", () => {
  const guard = new NonFiniteGuard();
  for (const [bad, name] of [[NaN, "NaN"], [Infinity, "Infinity"], [-Infinity, "-Infinity"]] as const) {
    const values = new Float32Array(100 * 100).fill(1);
    values[5050] = bad;
    const m = tf.tensor2d(values, [100, 100]);
    assert.throws(
      () => guard.check([m], () => "m", {}),
      new RegExp(`^DivergenceError: Training diverged: element 5050 of m is ${name}`),
    );
    m.dispose();
  }
  const values = new Float32Array(100 * 100).fill(1);
  values[7] = Infinity;
  values[9999] = -Infinity; // the sum is NaN; the first bad element is named
  const m = tf.tensor2d(values, [100, 100]);
  assert.throws(() => guard.check([m], () => "m", {}), /element 7 of m is Infinity/);
  m.dispose();
});
