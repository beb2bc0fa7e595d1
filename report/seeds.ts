/**
 * A comparison's rows over seeds: each row's spread (mean, standard deviation, min, max) of its measures, and its
 * paired race against the one-thread backprop row run with the same seed. The rules that turn these into "A beats
 * B" are in spread.ts.
 *
 * @module
 */
import type { ConfigResult } from "./compare.ts";
import { beats, median, type Spread, spreadOf, winsBeyondChance } from "./spread.ts";

/** A sequence row's headline measure, and which way is better. */
export type SequenceMeasure = "maxSequenceLength" | "bitsPerChar" | "testAccuracy";

/** One row (a configuration) over the seeds it ran with. */
export interface RowSpread {
  name: string;
  interface: string;
  depth: number;
  dataset: string;
  workers: number;
  truncation?: number | "full";
  /** The seeds it ran with, in order. */
  seeds: number[];
  /** Final test accuracy (NaN rows, such as copy tasks, leave n at 0). */
  testAccuracy: Spread;
  secondsPerEpoch: Spread;
  samplesPerSecond: Spread;
  /** Training seconds to the target, over the runs that reached it (`reached` of them). */
  secondsToTarget: Spread;
  reached: number;
  /** A sequence row: its measure's name and spread. */
  sequence?: { measure: SequenceMeasure; spread: Spread };
  /** Against the one-thread backprop row of the same depth, dataset and truncation, seed by seed (not on itself). */
  vsBackprop?: Versus;
}

/** A row against backprop over the seeds both ran with. */
export interface Versus {
  /** Seeds both ran with. */
  pairs: number;
  /** Pairs where this row reached the target sooner (or reached it and backprop did not). */
  wins: number;
  /** The median of backprop's time to the target over this row's, over pairs where both reached it (null: none). */
  medianRatio: number | null;
  /** Whether `wins` of `pairs` is beyond chance (the sign test, spread.ts). */
  winsBeyondChance: boolean;
  /** Whether this row's measure (test accuracy, or the sequence measure) beats backprop's beyond their spread. */
  measureBeats: boolean;
  /** Whether backprop's beats this row's beyond their spread. */
  measureLoses: boolean;
}

const higherIsBetter = (m: SequenceMeasure | undefined) => m !== "bitsPerChar";

function measureOf(r: ConfigResult): SequenceMeasure | undefined {
  if (r.sequence === undefined) return undefined;
  if (r.sequence.maxSequenceLength !== undefined) return "maxSequenceLength";
  if (r.sequence.bitsPerChar !== undefined) return "bitsPerChar";
  return "testAccuracy";
}

const keyOf = (r: ConfigResult) => `${r.name}\u0000${r.truncation ?? ""}`;

/**
 * The spread of every row over its seeds, in the order the rows first ran, with each row's paired race against
 * one-thread backprop.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rowSpreads } from "./seeds.ts";
 * const run = (name: string, iface: string, seed: number, acc: number, toTarget: number | null) => ({
 *   name, interface: iface, depth: 3, dataset: "mnist", workers: 1, epochs: [], secondsPerEpoch: 1,
 *   samplesPerSecond: 100, speedVsBackprop: null, secondsToTarget: toTarget, epochsToTarget: null,
 *   testAccuracy: acc, testLoss: 0.1, diagnostics: [], seed,
 * });
 * const rows = rowSpreads([
 *   run("bp", "backprop", 0, 0.97, 5), run("csg", "csg", 0, 0.98, 4),
 *   run("bp", "backprop", 1, 0.965, 6), run("csg", "csg", 1, 0.985, 7),
 * ]);
 * assert.equal(rows[1]!.testAccuracy.n, 2);
 * assert.deepEqual([rows[1]!.vsBackprop!.pairs, rows[1]!.vsBackprop!.wins], [2, 1]);
 * assert.equal(rows[1]!.vsBackprop!.measureBeats, true); // 0.98 and 0.985 against 0.97 and 0.965
 * assert.equal(rows[1]!.vsBackprop!.winsBeyondChance, false);
 * ```
 */
export function rowSpreads(results: readonly ConfigResult[]): RowSpread[] {
  const groups = new Map<string, ConfigResult[]>();
  for (const r of results) groups.set(keyOf(r), [...groups.get(keyOf(r)) ?? [], r]);
  const rows = [...groups.values()].map((runs) => ({ row: spreadOfRuns(runs), runs }));
  for (const { row, runs } of rows) {
    const base = rows.find(({ row: b }) =>
      b.interface === "backprop" && b.workers === 1 && b.depth === row.depth && b.dataset === row.dataset &&
      b.truncation === row.truncation
    );
    if (base !== undefined && base.row !== row) row.vsBackprop = versus(runs, base.runs, row, base.row);
  }
  return rows.map(({ row }) => row);
}

function spreadOfRuns(runs: ConfigResult[]): RowSpread {
  const r = runs[0]!, measure = measureOf(r);
  return {
    name: r.name,
    interface: r.interface,
    depth: r.depth,
    dataset: r.dataset,
    workers: r.workers,
    ...(r.truncation === undefined ? {} : { truncation: r.truncation }),
    seeds: runs.map((x) => x.seed ?? 0),
    testAccuracy: spreadOf(runs.map((x) => x.testAccuracy)),
    secondsPerEpoch: spreadOf(runs.map((x) => x.secondsPerEpoch)),
    samplesPerSecond: spreadOf(runs.map((x) => x.samplesPerSecond)),
    secondsToTarget: spreadOf(runs.map((x) => x.secondsToTarget)),
    reached: runs.filter((x) => x.secondsToTarget != null).length,
    ...(measure === undefined ? {} : {
      sequence: { measure, spread: spreadOf(runs.map((x) => x.sequence?.[measure] as number | undefined)) },
    }),
  };
}

function versus(runs: ConfigResult[], baseRuns: ConfigResult[], row: RowSpread, base: RowSpread): Versus {
  let pairs = 0, wins = 0;
  const ratios: number[] = [];
  for (const r of runs) {
    const b = baseRuns.find((x) => x.seed === r.seed);
    if (b === undefined) continue;
    pairs++;
    const mine = r.secondsToTarget, theirs = b.secondsToTarget;
    if (mine != null && (theirs == null || mine < theirs)) wins++;
    if (mine != null && theirs != null) ratios.push(theirs / mine);
  }
  const higher = higherIsBetter(row.sequence?.measure);
  const mine = row.sequence?.spread ?? row.testAccuracy, theirs = base.sequence?.spread ?? base.testAccuracy;
  return {
    pairs,
    wins,
    medianRatio: ratios.length > 0 ? median(ratios) : null,
    winsBeyondChance: winsBeyondChance(wins, pairs),
    measureBeats: beats(mine, theirs, higher),
    measureLoses: beats(theirs, mine, higher),
  };
}
