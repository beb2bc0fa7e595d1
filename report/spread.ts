/**
 * The spread of repeated runs, and the rules by which a report says "A beats B".
 *
 * - Unpaired (a measure of each run, e.g. final test accuracy over seeds): A beats B when every run of A is better
 *   than every run of B, that is, when their ranges (min-max) do not overlap. With 3 seeds a side this is strict
 *   (the chance that 3 runs of one all beat 3 of the other when both come from one distribution is 1 in 20).
 * - Paired (the same seed, data order and machine for both, e.g. a race to a target): A beats B when A wins in so many
 *   of the N pairs that a two-sided sign test gives a chance below 5% of as many wins by luck: 9 or more of 10, 6 of 6;
 *   never with 5 pairs or fewer.
 *
 * @module
 */

/** Mean, sample standard deviation, min and max of a measure over runs (NaN runs left out). */
export interface Spread {
  /** Runs counted (those with a number). */
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1); 0 for one run. */
  sd: number;
  min: number;
  max: number;
}

/**
 * The spread of `values` (NaN and null left out); `n: 0` and NaN statistics when none is left.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { spreadOf } from "./spread.ts";
 * const s = spreadOf([0.97, 0.98, 0.99]);
 * assert.equal(s.n, 3);
 * assert.ok(Math.abs(s.mean - 0.98) < 1e-12 && Math.abs(s.sd - 0.01) < 1e-12);
 * assert.deepEqual([s.min, s.max], [0.97, 0.99]);
 * ```
 */
export function spreadOf(values: readonly (number | null | undefined)[]): Spread {
  const xs = values.filter((v): v is number => typeof v === "number" && !Number.isNaN(v));
  const n = xs.length;
  if (n === 0) return { n, mean: NaN, sd: NaN, min: NaN, max: NaN };
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const sd = n < 2 ? 0 : Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  return { n, mean, sd, min: Math.min(...xs), max: Math.max(...xs) };
}

/**
 * Whether `a` beats `b` beyond their spread (the unpaired rule: `a`'s worst run is better than `b`'s best). Needs at
 * least 2 runs a side: one run has no spread to be beyond.
 */
export function beats(a: Spread, b: Spread, higherIsBetter: boolean): boolean {
  if (a.n < 2 || b.n < 2) return false;
  return higherIsBetter ? a.min > b.max : a.max < b.min;
}

/** The two-sided sign test's chance of `wins` or more of `n` pairs (or as few) when each pair is a coin flip. */
export function signTest(wins: number, n: number): number {
  if (n === 0) return 1;
  const k = Math.max(wins, n - wins);
  let tail = 0;
  for (let i = k; i <= n; i++) tail += binomial(n, i);
  return Math.min(1, 2 * tail / 2 ** n);
}

function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = c * (n - k + i) / i;
  return c;
}

/** Whether `wins` of `n` paired runs are a win beyond chance: more than half, and the sign test below 5%. */
export function winsBeyondChance(wins: number, n: number): boolean {
  return wins * 2 > n && signTest(wins, n) < 0.05;
}

/** The median of `values` (NaN for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b), mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** `mean ± sd (min-max)` with `format` for each number; "-" when there are no runs. */
export function spreadText(s: Spread, format: (x: number) => string): string {
  if (s.n === 0) return "-";
  if (s.n === 1) return format(s.mean);
  return `${format(s.mean)} ± ${format(s.sd)} (${format(s.min)}-${format(s.max)})`;
}
