import assert from "node:assert/strict";
import { DatasetError } from "../errors.ts";
import { checkSequenceBatch } from "./batch.ts";
import { bitsPerChar, evaluationBatches, generatedText, textBatches, textCorpus, trainBatches } from "./text.ts";

/** The class of each [s, t] step of a one-hot row-major [size, time, width] array. */
function classes(values: Float32Array, size: number, time: number, width: number): number[][] {
  return Array.from(
    { length: size },
    (_, s) =>
      Array.from(
        { length: time },
        (_, t) => values.subarray((s * time + t) * width, (s * time + t + 1) * width).indexOf(1),
      ),
  );
}

Deno.test("textCorpus() builds a code-point vocabulary sorted by code point", () => {
  const corpus = textCorpus("\uFFFD😀a😀\uFFFDab", { validation: 0.3 });
  assert.deepEqual(corpus.vocabulary, ["a", "b", "\uFFFD", "😀"]);
  assert.deepEqual([corpus.train.length, corpus.validation.length], [5, 2], "7 code points, not 9 UTF-16 units");
  assert.deepEqual(Array.from(corpus.train), [2, 3, 0, 3, 2]);
  assert.deepEqual(Array.from(corpus.validation), [0, 1]);
});

Deno.test("textBatches() streams continue across batches; targets are the next character", () => {
  const text = generatedText(4, 1000);
  const corpus = textCorpus(text);
  const size = 3, time = 7, v = corpus.vocabulary.length;
  const all = [...trainBatches(corpus, size, time)];
  const stream = Math.floor((corpus.train.length - 1) / size);
  assert.equal(all.length, Math.floor(stream / time));
  for (let s = 0; s < size; s++) {
    const inputs = all.flatMap((b) => classes(b.x, size, time, v)[s]!);
    const targets = all.flatMap((b) => classes(b.targets, size, time, v)[s]!);
    const expected = Array.from(corpus.train.subarray(s * stream, s * stream + inputs.length));
    assert.deepEqual(inputs, expected, `stream ${s} is one contiguous slice`);
    assert.deepEqual(targets, Array.from(corpus.train.subarray(s * stream + 1, s * stream + 1 + inputs.length)));
  }
  for (const b of all) {
    checkSequenceBatch(b);
    assert.ok(b.mask.every((m) => m === 1));
    assert.equal(b.x.reduce((a, c) => a + c), size * time, "one-hot inputs");
  }
  assert.deepEqual(all, [...trainBatches(corpus, size, time)], "deterministic");
  const evaluation = [...evaluationBatches(corpus, 1, 20)];
  assert.deepEqual(classes(evaluation[0]!.x, 1, 20, v)[0], Array.from(corpus.validation.subarray(0, 20)));
});

Deno.test("textCorpus() and textBatches() reject texts they cannot use", () => {
  assert.throws(() => textCorpus(""), (e) => e instanceof RangeError && /the text is empty/.test(e.message));
  assert.throws(() => textCorpus("aaaa"), /at least 2 distinct characters, got 1 \("a"\)/);
  assert.throws(() => textCorpus("abc"), /3 characters split 3 \/ 0 at validation 0.1; each part needs at least 2/);
  assert.throws(() => textCorpus("abab", { validation: 1 }), /validation must be in \(0, 1\), got 1/);
  assert.throws(
    () => textCorpus("", { file: "ptb.train.txt" }),
    (e) => e instanceof DatasetError && e.file === "ptb.train.txt" && /the text is empty/.test(e.message),
  );
  const corpus = textCorpus(generatedText(0, 100));
  assert.throws(
    () => [...trainBatches(corpus, 10, 10)],
    /10 streams of 10 steps need a text of at least 101 characters, got 90/,
  );
  assert.throws(() => [...textBatches(corpus.train, 5, 0, 3)], /size must be a positive integer, got 0/);
});

Deno.test("generatedText() is deterministic, seed-dependent and predictable from context", () => {
  const text = generatedText(9, 20000);
  assert.equal(text.length, 20000);
  assert.equal(text, generatedText(9, 20000));
  assert.notEqual(text, generatedText(10, 20000));
  // A bigram model (the previous 3 characters as context) already beats a uniform guess by far.
  const corpus = textCorpus(text);
  const v = corpus.vocabulary.length;
  const counts = new Map<string, Map<number, number>>();
  const ids = corpus.train;
  for (let i = 3; i < ids.length; i++) {
    const key = `${ids[i - 3]},${ids[i - 2]},${ids[i - 1]}`;
    const row = counts.get(key) ?? new Map<number, number>();
    row.set(ids[i]!, (row.get(ids[i]!) ?? 0) + 1);
    counts.set(key, row);
  }
  let bits = 0;
  for (let i = 3; i < ids.length; i++) {
    const row = counts.get(`${ids[i - 3]},${ids[i - 2]},${ids[i - 1]}`)!;
    const total = [...row.values()].reduce((a, b) => a + b);
    bits -= Math.log2(row.get(ids[i]!)! / total);
  }
  const bpc = bits / (ids.length - 3);
  assert.ok(v >= 20 && bpc < 0.5 * Math.log2(v), `vocabulary ${v}, 4-gram bpc ${bpc}`);
});

Deno.test("bitsPerChar() averages -log2 p(target) over masked steps", () => {
  const targets = Float32Array.of(1, 0, 0, 1, 0, 1);
  const probabilities = Float32Array.of(0.5, 0.5, 0.25, 0.75, 0, 1);
  assert.ok(Math.abs(bitsPerChar(probabilities, targets, Float32Array.of(1, 0, 1)) - 0.5) < 1e-9);
  assert.ok(Math.abs(bitsPerChar(probabilities, targets, Float32Array.of(0, 1, 0)) + Math.log2(0.75)) < 1e-7);
  assert.equal(bitsPerChar(Float32Array.of(0, 1), Float32Array.of(1, 0), Float32Array.of(1)), -Math.log2(1e-12));
  assert.equal(bitsPerChar(probabilities, targets, new Float32Array(3)), 0);
  assert.throws(() => bitsPerChar(new Float32Array(5), targets, new Float32Array(3)), /5 probabilities, 6 targets/);
});
