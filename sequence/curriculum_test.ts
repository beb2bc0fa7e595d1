import assert from "node:assert/strict";
import { Random } from "../random.ts";
import { copyBatch } from "./copy_task.ts";
import { Curriculum, sequenceErrorBits } from "./curriculum.ts";

Deno.test("Curriculum advances one level each time the error falls below 0.15 bits", () => {
  const c = new Curriculum();
  assert.deepEqual([c.level, c.maxSequenceLength], [1, 0]);
  assert.equal(c.record(0.15), false, "not below the threshold");
  assert.equal(c.record(0.149), true);
  assert.equal(c.record(3), false);
  assert.equal(c.record(0.01), true);
  assert.deepEqual([c.level, c.maxSequenceLength], [3, 2]);
  for (let i = 0; i < 5; i++) c.record(1);
  assert.deepEqual([c.level, c.maxSequenceLength], [3, 2]);
});

Deno.test("Curriculum averages the last `window` errors at a level", () => {
  const c = new Curriculum({ window: 3, threshold: 0.5 });
  assert.equal(c.record(0), false, "too few errors yet");
  assert.equal(c.record(0), false);
  assert.equal(c.record(2), false, "mean 0.67");
  assert.equal(c.record(0.1), false, "mean of 0, 2, 0.1 is 0.7");
  assert.equal(c.record(0.1), false, "mean of 2, 0.1, 0.1 is 0.73");
  assert.equal(c.record(0.1), true, "mean 0.1");
  assert.deepEqual(c.getState().errors, [], "errors reset at a new level");
});

Deno.test("Curriculum start, state round trip and bad input", () => {
  const c = new Curriculum({ start: 5 });
  assert.deepEqual([c.level, c.maxSequenceLength], [5, 0]);
  c.record(0.2);
  const state = JSON.parse(JSON.stringify(c.getState()));
  const d = new Curriculum();
  d.setState(state);
  assert.deepEqual(d.getState(), c.getState());
  assert.throws(() => c.record(NaN), /error must be a finite number of bits >= 0, got NaN/);
  assert.throws(() => new Curriculum({ start: 0 }), /level must be a positive integer, got 0/);
  assert.throws(() => new Curriculum({ threshold: 0 }), /threshold must be a positive number of bits, got 0/);
  assert.throws(
    () => d.setState({ ...state, maxSequenceLength: 5 }),
    /maxSequenceLength must be an integer in \[0, 5\), got 5/,
  );
});

Deno.test("sequenceErrorBits() counts masked bits only, per sequence or per step", () => {
  const b = copyBatch(new Random(2), 4, 3, { bits: 8 });
  const half = new Float32Array(b.targets.length).fill(0.5);
  assert.ok(Math.abs(sequenceErrorBits(half, b) - 3 * 8) < 1e-9, "3 output steps of 8 bits");
  assert.ok(Math.abs(sequenceErrorBits(half, b, { per: "step" }) - 8) < 1e-9);
  const right = b.targets.slice();
  assert.ok(sequenceErrorBits(right, b) < 1e-4);
  const wrong = b.targets.map((y) => 1 - y);
  assert.ok(sequenceErrorBits(wrong, b) > 3 * 8 * 20, "clipped, large, finite");
  assert.throws(() => sequenceErrorBits(new Float32Array(3), b), /probabilities has 3 values/);
});
