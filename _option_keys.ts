/**
 * Options objects checked at run time: a key a function does not know (a typo such as `batchsize`) is an error that
 * names it and the nearest known key, not a silently ignored setting. TypeScript catches such a key only where the
 * caller type-checks; a script run with `deno run` may not.
 *
 * @module
 */

/** Levenshtein distance: the fewest insertions, deletions and substitutions that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}

/**
 * The known name closest to `name`, when it is close enough to be a typo (at most 2 edits, fewer than half its
 * letters; case and `-`/`_` do not count), else undefined.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nearest } from "./_option_keys.ts";
 * assert.equal(nearest("batchsize", ["epochs", "batchSize"]), "batchSize");
 * assert.equal(nearest("colour", ["epochs", "batchSize"]), undefined);
 * ```
 */
export function nearest(name: string, known: readonly string[]): string | undefined {
  const plain = (s: string) => s.toLowerCase().replace(/[-_]/g, "");
  let best: string | undefined, bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(plain(name), plain(k));
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best !== undefined && bestDistance <= Math.min(2, Math.floor(best.length / 2)) ? best : undefined;
}

/**
 * Throws a TypeError naming the first key of `options` that is not in `known` (and the nearest known one), e.g.
 * `train() has no option "batchsize" (did you mean batchSize?)`. `undefined` passes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkOptionKeys } from "./_option_keys.ts";
 * checkOptionKeys("train()", { epochs: 2 }, ["epochs", "batchSize"]);
 * assert.throws(
 *   () => checkOptionKeys("train()", { batchsize: 64 }, ["epochs", "batchSize"]),
 *   /^TypeError: train\(\) has no option "batchsize" \(did you mean batchSize\?\); its options: epochs, batchSize$/,
 * );
 * ```
 */
export function checkOptionKeys(what: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(
      `${what} takes an options object, got ${Array.isArray(options) ? "an array" : String(options)}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const hint = nearest(key, known);
    throw new TypeError(
      `${what} has no option "${key}"${hint ? ` (did you mean ${hint}?)` : ""}; its options: ${known.join(", ")}`,
    );
  }
}

/**
 * The keys of an options type, written out once so that they can be checked at run time; the type parameter makes
 * the list fail to type-check when it misses a key of `T` or names one `T` lacks.
 *
 * @example
 * ```ts
 * import { optionKeys } from "./_option_keys.ts";
 * const keys = optionKeys<{ a?: number; b?: string }>()(["a", "b"]);
 * console.log(keys);
 * ```
 */
export function optionKeys<T>(): <const K extends readonly (keyof T & string)[]>(
  keys: K & ([Exclude<keyof T, K[number]>] extends [never] ? unknown : { missing: Exclude<keyof T, K[number]> }),
) => readonly string[] {
  return (keys) => keys;
}
