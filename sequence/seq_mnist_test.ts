import assert from "node:assert/strict";
import { batches } from "../datasets/dataset.ts";
import { Random } from "../random.ts";
import { checkSequenceBatch } from "./batch.ts";
import { seqMnistBatches, seqMnistEvaluation } from "./seq_mnist.ts";

function toySplit(count: number) {
  const random = new Random(5);
  const x = Float32Array.from({ length: count * 784 }, () => random.next());
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return { x, labels, count };
}

Deno.test("seqMnistBatches() steps through image rows, one-hot label and mask at the last step", () => {
  const split = toySplit(9);
  const seen: number[] = [];
  for (const b of seqMnistBatches(split, 4, 3)) {
    checkSequenceBatch(b);
    assert.deepEqual([b.time, b.features, b.outputs], [28, 28, 10]);
    for (let s = 0; s < b.size; s++) {
      // find the image by its first pixel
      const image = Array.from({ length: 9 }, (_, i) => i).find((i) => split.x[i * 784] === b.x[s * 784])!;
      seen.push(image);
      for (let row = 0; row < 28; row++) {
        const expected = split.x.subarray(image * 784 + row * 28, image * 784 + row * 28 + 28);
        assert.deepEqual(b.x.subarray((s * 28 + row) * 28, (s * 28 + row + 1) * 28), expected, "step = image row");
        assert.equal(b.mask[s * 28 + row], row === 27 ? 1 : 0);
        for (let c = 0; c < 10; c++) {
          const want = row === 27 && c === split.labels[image] ? 1 : 0;
          assert.equal(b.targets[(s * 28 + row) * 10 + c], want);
        }
      }
    }
  }
  assert.deepEqual(seen.toSorted((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
});

Deno.test("seqMnistBatches() uses the order of batches() for the same seed; evaluation is in order", () => {
  const split = toySplit(10);
  const flat = [...batches(split, 784, 3, 42)].map((b) => Array.from(b.labels));
  const seq = [...seqMnistBatches(split, 3, 42)].map((b) =>
    Array.from({ length: b.size }, (_, s) => b.targets.subarray((s * 28 + 27) * 10, (s * 28 + 28) * 10).indexOf(1))
  );
  assert.deepEqual(seq, flat);
  const again = [...seqMnistBatches(split, 3, 42)];
  assert.deepEqual(again, [...seqMnistBatches(split, 3, 42)]);
  const ordered = [...seqMnistEvaluation(split, 4)];
  assert.deepEqual(ordered.map((b) => b.size), [4, 4, 2]);
  assert.deepEqual(ordered[0]!.x, split.x.subarray(0, 4 * 784));
});

Deno.test("seqMnistBatches() rejects images that are not 784 pixels and bad labels", () => {
  const bad = { x: new Float32Array(2 * 783), labels: new Uint8Array(2), count: 2 };
  assert.throws(() => [...seqMnistBatches(bad, 1, 0)], /2 images need 1568 pixels, got 1566/);
  const label = { ...toySplit(2), labels: Uint8Array.of(3, 10) };
  assert.throws(() => [...seqMnistBatches(label, 1, 0)], /label 10 of image 1 is out of range \[0, 10\)/);
  assert.throws(() => [...seqMnistBatches(toySplit(2), 0, 0)], /Batch size must be a positive integer, got 0/);
});
