/**
 * The part of a comparison report that runs over seeds (`compare --seeds N`): a conclusion that says "beats" only
 * beyond the spread, by the rules of spread.ts, and a table of each row's mean, standard deviation and range.
 *
 * @module
 */
import type { ComparisonReport } from "./compare.ts";
import type { RowSpread } from "./seeds.ts";
import { type Spread, spreadText } from "./spread.ts";

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const points = (x: number) => (100 * x).toFixed(2);
const sec = (x: number) => x.toFixed(1);

const MEASURES = {
  maxSequenceLength: "longest length solved",
  bitsPerChar: "validation bits per character",
  testAccuracy: "final test accuracy",
} as const;

/** The rules, as the report states them. */
export const SPREAD_RULES = "Rules: a row beats another on a measure only when every run of the one is better than " +
  "every run of the other (their min-max ranges do not overlap); in the race to the target, seed by seed against " +
  "backprop, only when it wins so many of the pairs that a two-sided sign test gives under 5% for luck (9 of 10, " +
  "6 of 6; never with 5 pairs or fewer).";

// A spread of accuracies: the mean and range in percent, the standard deviation in points.
const accuracy = (s: Spread) =>
  s.n === 0 ? "-" : s.n === 1 ? pct(s.mean) : `${pct(s.mean)} ± ${points(s.sd)} (${pct(s.min)}-${pct(s.max)})`;

function measureText(row: RowSpread): string {
  if (row.sequence === undefined) return accuracy(row.testAccuracy);
  const { measure, spread } = row.sequence;
  return measure === "testAccuracy"
    ? accuracy(spread)
    : spreadText(spread, (x) => measure === "bitsPerChar" ? x.toFixed(3) : x.toFixed(1));
}

/** The conclusion over seeds: each row against one-thread backprop, by the rules. Empty without `spread`. */
export function seedConclusion(report: ComparisonReport): string[] {
  const rows = report.spread ?? [];
  if (rows.length === 0) return [];
  const target = pct(report.options.target), sequence = rows.some((r) => r.sequence);
  const base = sequence ? "BPTT" : "backprop";
  const lines = [`## Conclusion over ${report.options.seeds!.length} seeds`, ``, SPREAD_RULES, ``];
  for (const row of rows) {
    const v = row.vsBackprop;
    if (v === undefined) continue;
    const verdict = v.measureBeats
      ? `better than ${base}'s beyond the spread`
      : v.measureLoses
      ? `worse than ${base}'s beyond the spread`
      : `within the spread of ${base}'s`;
    const what = MEASURES[row.sequence?.measure ?? "testAccuracy"];
    let line = `- **${row.name}**${row.truncation === undefined ? "" : ` (T = ${row.truncation})`}: ${what} ` +
      `${measureText(row)}, ${verdict}`;
    if (!sequence) {
      line += `; first to ${target} in ${v.wins} of ${v.pairs} paired runs` +
        (v.medianRatio === null ? "" : ` (median ${v.medianRatio.toFixed(2)}x backprop's speed to it)`) +
        (v.winsBeyondChance ? ", beyond chance" : ", not beyond chance");
    }
    lines.push(line + ".");
  }
  return [...lines, ``];
}

/** The table of every row over its seeds. Empty without `spread`. */
export function seedTable(report: ComparisonReport): string[] {
  const rows = report.spread ?? [];
  if (rows.length === 0) return [];
  const target = pct(report.options.target), sequence = rows.some((r) => r.sequence);
  const header = sequence
    ? `| configuration | T | runs | measure: mean ± sd (min-max) | s/epoch | sequences/s |`
    : `| configuration | runs | final test acc: mean ± sd points (min-max) | s/epoch | samples/s | ` +
      `time to ${target}, s (runs that reached it) | first to ${target} vs backprop (median speed ratio) |`;
  const lines = [
    `## Across seeds`,
    ``,
    `Each row's runs (seeds ${report.options.seeds!.join(", ")}): mean ± standard deviation (min-max).`,
    ``,
    header,
    sequence ? `|---|---|---|---|---|---|` : `|---|---|---|---|---|---|---|`,
  ];
  for (const row of rows) {
    const perEpoch = spreadText(row.secondsPerEpoch, sec);
    const speed = spreadText(row.samplesPerSecond, (x) => String(Math.round(x)));
    if (sequence) {
      lines.push(
        `| ${row.name} | ${row.truncation ?? "-"} | ${row.seeds.length} | ${
          measureText(row)
        } | ${perEpoch} | ${speed} |`,
      );
      continue;
    }
    const v = row.vsBackprop;
    const race = v === undefined
      ? "-"
      : `${v.wins} of ${v.pairs}${v.medianRatio === null ? "" : ` (${v.medianRatio.toFixed(2)}x)`}`;
    lines.push(
      `| ${row.name} | ${row.seeds.length} | ${accuracy(row.testAccuracy)} | ${perEpoch} | ${speed} | ` +
        `${row.reached === 0 ? "not reached" : `${spreadText(row.secondsToTarget, sec)} (${row.reached})`} | ${race} |`,
    );
  }
  return [...lines, ``];
}
