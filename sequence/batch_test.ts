import assert from "node:assert/strict";
import { checkSequenceBatch, type SequenceBatch } from "./batch.ts";

function good(): SequenceBatch {
  return {
    x: new Float32Array(2 * 3 * 4),
    targets: new Float32Array(2 * 3 * 5),
    mask: new Float32Array(2 * 3).fill(1),
    size: 2,
    time: 3,
    features: 4,
    outputs: 5,
  };
}

Deno.test("checkSequenceBatch() accepts a batch whose arrays fit its sizes", () => {
  checkSequenceBatch(good());
});

Deno.test("checkSequenceBatch() names a size that is not a positive integer", () => {
  assert.throws(() => checkSequenceBatch({ ...good(), time: 0 }), /time must be a positive integer, got 0/);
  assert.throws(() => checkSequenceBatch({ ...good(), size: 0 }), /size must be a positive integer, got 0/);
  assert.throws(() => checkSequenceBatch({ ...good(), features: 1.5 }), /features must be a positive integer, got 1.5/);
});

Deno.test("checkSequenceBatch() names an array whose length does not fit", () => {
  assert.throws(
    () => checkSequenceBatch({ ...good(), x: new Float32Array(23) }),
    (e) => e instanceof RangeError && /x has 23 values, \[size 2, time 3, features 4\] needs 24/.test(e.message),
  );
  assert.throws(() => checkSequenceBatch({ ...good(), targets: new Float32Array(29) }), /targets has 29 values/);
});

Deno.test("checkSequenceBatch() names a NaN or infinite value and where it is", () => {
  const batch = good();
  batch.x[7] = NaN;
  assert.throws(() => checkSequenceBatch(batch), /x\[7\] of \[size 2, time 3, features 4\] is NaN/);
  const other = good();
  other.targets[0] = Infinity;
  assert.throws(() => checkSequenceBatch(other), /targets\[0\] .* is Infinity/);
});
