import assert from "node:assert/strict";
import { Random } from "../random.ts";
import { checkSequenceBatch } from "./batch.ts";
import { copyBatch, copyTaskShape, copyTime, repeatCopyLevel } from "./copy_task.ts";

/** Value of [s, t, c] in a row-major [size, time, width] array. */
function at(values: Float32Array, time: number, width: number, s: number, t: number, c: number): number {
  return values[(s * time + t) * width + c]!;
}

Deno.test("copyBatch() lays out pattern, delimiter and copied targets", () => {
  const bits = 8, length = 5, size = 3;
  const b = copyBatch(new Random(7), size, length);
  checkSequenceBatch(b);
  assert.deepEqual([b.size, b.time, b.features, b.outputs], [size, 2 * length + 1, bits + 1, bits]);
  for (let s = 0; s < size; s++) {
    for (let t = 0; t < b.time; t++) {
      assert.equal(b.mask[s * b.time + t], t > length ? 1 : 0);
      assert.equal(at(b.x, b.time, b.features, s, t, bits), t === length ? 1 : 0, "delimiter channel");
      for (let c = 0; c < bits; c++) {
        const x = at(b.x, b.time, b.features, s, t, c);
        const y = at(b.targets, b.time, b.outputs, s, t, c);
        if (t < length) {
          assert.ok(x === 0 || x === 1);
          assert.equal(at(b.targets, b.time, b.outputs, s, t + length + 1, c), x, "target equals the pattern");
          assert.equal(y, 0);
        } else {
          assert.equal(x, 0, "no input bits after the pattern");
        }
      }
    }
  }
});

Deno.test("copyBatch() is determined by the seed and draws fair bits", () => {
  const a = copyBatch(new Random(3), 16, 10);
  const b = copyBatch(new Random(3), 16, 10);
  const c = copyBatch(new Random(4), 16, 10);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.x, c.x);
  let ones = 0;
  for (let s = 0; s < 16; s++) {
    for (let t = 0; t < 10; t++) for (let k = 0; k < 8; k++) ones += at(a.x, a.time, 9, s, t, k);
  }
  assert.ok(ones > 0.4 * 1280 && ones < 0.6 * 1280, `ones ${ones}`);
});

Deno.test("copyBatch() repeat copy: repeat channel, repeated pattern and end marker", () => {
  const bits = 4, length = 3, repeats = 2, maxRepeats = 5;
  const b = copyBatch(new Random(11), 2, length, { repeat: true, bits, repeats, maxRepeats });
  checkSequenceBatch(b);
  assert.deepEqual([b.time, b.features, b.outputs], [length * repeats + length + 2, bits + 2, bits + 1]);
  assert.equal(b.time, copyTime(length, { repeat: true, repeats }));
  for (let s = 0; s < 2; s++) {
    for (let t = 0; t < b.time; t++) {
      assert.equal(at(b.x, b.time, b.features, s, t, bits), t === length ? 1 : 0, "delimiter");
      assert.equal(
        at(b.x, b.time, b.features, s, t, bits + 1),
        t === length ? Math.fround(repeats / maxRepeats) : 0,
        "repeats",
      );
      assert.equal(at(b.targets, b.time, b.outputs, s, t, bits), t === b.time - 1 ? 1 : 0, "end marker");
      assert.equal(b.mask[s * b.time + t], t > length ? 1 : 0);
    }
    for (let r = 0; r < repeats; r++) {
      for (let t = 0; t < length; t++) {
        for (let c = 0; c < bits; c++) {
          const copied = at(b.targets, b.time, b.outputs, s, length + 1 + r * length + t, c);
          assert.equal(copied, at(b.x, b.time, b.features, s, t, c));
        }
      }
    }
    for (let c = 0; c < bits; c++) assert.equal(at(b.targets, b.time, b.outputs, s, b.time - 1, c), 0);
  }
});

Deno.test("copyBatch() draws the repeat count from the seed when not given", () => {
  const counts = new Set<number>();
  for (let seed = 0; seed < 40; seed++) {
    const b = copyBatch(new Random(seed), 1, 2, { repeat: true, maxRepeats: 4 });
    const repeats = (b.time - 2 - 2) / 2;
    assert.ok(Number.isInteger(repeats) && repeats >= 1 && repeats <= 4);
    assert.equal(b.x[2 * b.features + 9], repeats / 4);
    counts.add(repeats);
  }
  assert.equal(counts.size, 4);
});

Deno.test("copyBatch() rejects bad sizes", () => {
  assert.throws(() => copyBatch(new Random(0), 0, 3), /size must be a positive integer, got 0/);
  assert.throws(() => copyBatch(new Random(0), 1, 0), /length must be a positive integer, got 0/);
  assert.throws(() => copyBatch(new Random(0), 1, 2, { bits: 0 }), /bits must be a positive integer, got 0/);
  assert.throws(
    () => copyBatch(new Random(0), 1, 2, { repeat: true, repeats: 11 }),
    /repeats 11 is more than maxRepeats 10/,
  );
});

Deno.test("copyTaskShape() and repeatCopyLevel() give widths and N + R = level + 1", () => {
  assert.deepEqual(copyTaskShape({ bits: 6 }), { features: 7, outputs: 6 });
  assert.deepEqual(copyTaskShape({ repeat: true, bits: 6 }), { features: 8, outputs: 7 });
  for (let level = 1; level < 30; level++) {
    const { length, repeats } = repeatCopyLevel(level);
    assert.equal(length + repeats, level + 1);
    assert.ok(repeats <= 10 && length >= repeats && length - repeats <= Math.max(1, level - 19));
  }
});
