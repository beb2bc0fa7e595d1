/**
 * Character-level language modelling on a text: a vocabulary of code points, a train / validation split, and
 * truncated-BPTT batches of parallel streams.
 *
 * Layout: the training text (ids `0..n-1`) is cut into `size` contiguous streams of `floor((n - 1) / size)`
 * characters; batch k holds, for each stream, the `time` steps starting at `k * time`, so the state a trainer
 * carries from batch k to k + 1 continues the same text. Input step t is the one-hot of character t, its target
 * the one-hot of character t + 1, and the mask is 1 everywhere. The tail that does not fill a batch is dropped.
 *
 * @module
 */
import { DatasetError } from "../errors.ts";
import { Random } from "../random.ts";
import type { SequenceBatch } from "./batch.ts";

/** Options of {@linkcode textCorpus}. */
export interface TextCorpusOptions {
  /** The fraction of the text, taken from its end, kept for validation. @default 0.1 */
  validation?: number;
  /** The file the text came from: errors are then `DatasetError`s naming it (else `RangeError`s). */
  file?: string;
}

/** A text as character ids over a sorted vocabulary. */
export interface TextCorpus {
  /** The characters (code points), sorted by code point; an id is an index into this. */
  readonly vocabulary: readonly string[];
  /** The training text as ids. */
  readonly train: Uint32Array;
  /** The validation text (the end of the text) as ids. */
  readonly validation: Uint32Array;
}

/**
 * Builds the vocabulary (the text's distinct code points, sorted) and splits the text: the last `validation`
 * fraction of its code points (rounded down) for validation, the rest for training.
 *
 * @param text The text (UTF-16 string; characters are code points, so an emoji is one character).
 * @param options `validation` fraction, `file` for error messages.
 * @throws {RangeError | DatasetError} If the text is empty, has fewer than 2 distinct characters, or a part of the
 *   split has fewer than 2 characters, or `validation` is not in (0, 1).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { textCorpus } from "./text.ts";
 *
 * const corpus = textCorpus("abba cabba abba.", { validation: 0.25 });
 * assert.deepEqual(corpus.vocabulary, [" ", ".", "a", "b", "c"]);
 * assert.deepEqual([corpus.train.length, corpus.validation.length], [12, 4]);
 * assert.deepEqual(Array.from(corpus.validation), [3, 3, 2, 1]); // "bba."
 * ```
 */
export function textCorpus(text: string, options: TextCorpusOptions = {}): TextCorpus {
  const { validation = 0.1, file } = options;
  const fail = (problem: string) =>
    file === undefined ? new RangeError(`Text corpus: ${problem}`) : new DatasetError(file, problem);
  if (!(validation > 0 && validation < 1)) {
    throw new RangeError(`Text corpus: validation must be in (0, 1), got ${validation}`);
  }
  const chars = Array.from(text);
  if (chars.length === 0) throw fail("the text is empty");
  const vocabulary = [...new Set(chars)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  if (vocabulary.length < 2) {
    throw fail(
      `the text needs at least 2 distinct characters, got ${vocabulary.length} (${JSON.stringify(vocabulary[0])})`,
    );
  }
  const index = new Map(vocabulary.map((c, i) => [c, i]));
  const ids = Uint32Array.from(chars, (c) => index.get(c)!);
  const held = Math.floor(ids.length * validation);
  if (held < 2 || ids.length - held < 2) {
    throw fail(
      `${ids.length} characters split ${
        ids.length - held
      } / ${held} at validation ${validation}; each part needs at least 2`,
    );
  }
  return { vocabulary, train: ids.subarray(0, ids.length - held), validation: ids.subarray(ids.length - held) };
}

/**
 * Yields one pass of truncated-BPTT batches over `ids` (see the module doc for the layout).
 *
 * @param ids Character ids in [0, vocabularySize).
 * @param vocabularySize Width of the one-hot inputs and targets.
 * @param size Parallel streams.
 * @param time Steps per batch.
 * @throws {RangeError} If `size` or `time` is not a positive integer, or `ids` has fewer than `size * time + 1`
 *   characters (one batch), saying how many it needs.
 *
 * @example Stream 1 of batch 1 continues stream 1 of batch 0
 * ```ts
 * import assert from "node:assert/strict";
 * import { textBatches } from "./text.ts";
 *
 * const ids = Uint32Array.from({ length: 13 }, (_, i) => i % 3);
 * const [a, b] = [...textBatches(ids, 3, 2, 3)];
 * assert.deepEqual([a!.size, a!.time, a!.features, a!.outputs], [2, 3, 3, 3]);
 * // stream 1 starts at character 6: ids 0 1 2 | 0 1 2
 * assert.deepEqual(Array.from(a!.x.subarray(9, 18)), [1, 0, 0, 0, 1, 0, 0, 0, 1]);
 * assert.deepEqual(Array.from(b!.x.subarray(9, 12)), [1, 0, 0]);
 * ```
 */
export function* textBatches(
  ids: Uint32Array,
  vocabularySize: number,
  size: number,
  time: number,
): Generator<SequenceBatch> {
  for (const [name, value] of [["size", size], ["time", time], ["vocabularySize", vocabularySize]] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`Text batches: ${name} must be a positive integer, got ${value}`);
    }
  }
  if (ids.length < size * time + 1) {
    throw new RangeError(
      `Text batches: ${size} streams of ${time} steps need a text of at least ${size * time + 1} characters, ` +
        `got ${ids.length}`,
    );
  }
  const stream = Math.floor((ids.length - 1) / size);
  const count = Math.floor(stream / time);
  for (let k = 0; k < count; k++) {
    const x = new Float32Array(size * time * vocabularySize);
    const targets = new Float32Array(size * time * vocabularySize);
    for (let s = 0; s < size; s++) {
      for (let t = 0; t < time; t++) {
        const at = s * stream + k * time + t;
        const step = (s * time + t) * vocabularySize;
        x[step + ids[at]!] = 1;
        targets[step + ids[at + 1]!] = 1;
      }
    }
    const mask = new Float32Array(size * time).fill(1);
    yield { x, targets, mask, size, time, features: vocabularySize, outputs: vocabularySize };
  }
}

/**
 * One pass of training batches: {@linkcode textBatches} over `corpus.train`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generatedText, textCorpus, trainBatches } from "./text.ts";
 *
 * const corpus = textCorpus(generatedText(1, 2000));
 * const all = [...trainBatches(corpus, 4, 50)];
 * assert.equal(all.length, Math.floor(Math.floor((corpus.train.length - 1) / 4) / 50));
 * ```
 */
export function trainBatches(corpus: TextCorpus, size: number, time: number): Generator<SequenceBatch> {
  return textBatches(corpus.train, corpus.vocabulary.length, size, time);
}

/**
 * One pass of evaluation batches: {@linkcode textBatches} over `corpus.validation`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluationBatches, generatedText, textCorpus } from "./text.ts";
 *
 * const corpus = textCorpus(generatedText(1, 2000));
 * assert.equal([...evaluationBatches(corpus, 1, 100)].length, 1);
 * ```
 */
export function evaluationBatches(corpus: TextCorpus, size: number, time: number): Generator<SequenceBatch> {
  return textBatches(corpus.validation, corpus.vocabulary.length, size, time);
}

/**
 * Bits per character: `-log2` of the probability given to each masked step's target class, averaged over the
 * masked steps. Probabilities are clipped below at 1e-12.
 *
 * @param probabilities Softmax outputs, row-major [size, time, outputs].
 * @param targets One-hot targets of the same shape.
 * @param mask [size, time]: 1 where a step counts.
 * @returns Bits per counted character; 0 when the mask is all zero.
 * @throws {RangeError} If the arrays do not fit one another.
 *
 * @example A uniform guess over 4 characters costs 2 bits per character
 * ```ts
 * import assert from "node:assert/strict";
 * import { bitsPerChar } from "./text.ts";
 *
 * const targets = Float32Array.of(0, 0, 1, 0, 1, 0, 0, 0);
 * assert.equal(bitsPerChar(new Float32Array(8).fill(0.25), targets, Float32Array.of(1, 1)), 2);
 * ```
 */
export function bitsPerChar(probabilities: Float32Array, targets: Float32Array, mask: Float32Array): number {
  const outputs = targets.length / mask.length;
  if (probabilities.length !== targets.length || !Number.isInteger(outputs)) {
    throw new RangeError(
      `bitsPerChar: ${probabilities.length} probabilities, ${targets.length} targets and ${mask.length} mask ` +
        `values do not fit [size, time, outputs]`,
    );
  }
  let bits = 0, steps = 0;
  for (let i = 0; i < mask.length; i++) {
    const m = mask[i]!;
    if (m === 0) continue;
    steps += m;
    for (let c = 0; c < outputs; c++) {
      const y = targets[i * outputs + c]!;
      if (y !== 0) bits -= m * y * Math.log2(Math.max(probabilities[i * outputs + c]!, 1e-12));
    }
  }
  return steps === 0 ? 0 : bits / steps;
}

const SUBJECTS = ["the cat", "a dog", "the old man", "my sister", "a bird", "the girl"];
const VERBS = ["sees", "likes", "finds", "hears", "follows"];
const OBJECTS = ["the ball", "a red house", "the river", "some bread", "the moon", "a small box"];

/**
 * A deterministic text of `chars` characters from a tiny grammar: sentences `subject verb object.` (optionally
 * joined by `and`) from short word lists, separated by spaces. Its vocabulary is about 25 characters, but words
 * and sentence structure make most characters predictable, so a small LSTM's bits per character can fall well
 * below `log2(vocabulary)`.
 *
 * @param seed Seed of the word choices.
 * @param chars Length of the text in characters.
 * @throws {RangeError} If `chars` is not a non-negative integer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generatedText } from "./text.ts";
 *
 * const text = generatedText(3, 200);
 * assert.equal(text.length, 200);
 * assert.equal(text, generatedText(3, 200));
 * assert.match(text, /^[a-z .]+$/);
 * ```
 */
export function generatedText(seed: number, chars: number): string {
  if (!Number.isInteger(chars) || chars < 0) {
    throw new RangeError(`generatedText: chars must be a non-negative integer, got ${chars}`);
  }
  const random = new Random(seed);
  const pick = (words: readonly string[]) => words[random.int(words.length)]!;
  const parts: string[] = [];
  let length = 0;
  while (length < chars) {
    let sentence = `${pick(SUBJECTS)} ${pick(VERBS)} ${pick(OBJECTS)}`;
    if (random.next() < 0.3) sentence += ` and ${pick(VERBS)} ${pick(OBJECTS)}`;
    sentence += ". ";
    parts.push(sentence);
    length += sentence.length;
  }
  return parts.join("").slice(0, chars);
}
