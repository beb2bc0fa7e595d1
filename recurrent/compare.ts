/**
 * The sequence comparison: the same sequence specs (e.g. BPTT and DNI) trained on one task for each truncation
 * window T, with the same seed, data and step budget, into one table and one curve per run.
 *
 * @module
 */
import type { Registries } from "../network/registries.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { buildNetwork } from "../network/build.ts";
import { train } from "../training/train.ts";
import type { EpochRecord } from "../training/history.ts";
import { checkFit, type SequenceData } from "./sequence_data.ts";
import { isRecurrent } from "./recurrent_layer.ts";
import { sequenceResult } from "./sequence_result.ts";

/** One row of the comparison: a spec at one truncation. */
export interface SequenceComparisonRow {
  /** The spec's name (its file name). */
  name: string;
  /** The interface on the recurrent state (`"BPTT"` for none). */
  method: string;
  /** Steps per window, or `"full"`. */
  truncation: number | "full";
  /** Copy tasks: the longest pattern length solved. */
  maxSequenceLength?: number;
  /** Text: validation bits per character. */
  bitsPerChar?: number;
  /** Seq-mnist: test accuracy. */
  testAccuracy?: number;
  /** The last cosine of the synthetic gradient to the true one. */
  syntheticGradientCosine?: number;
  /** Seconds of training. */
  seconds: number;
  /** The epochs' records (the curve). */
  history: EpochRecord[];
}

/** A sequence comparison. */
export interface SequenceComparison {
  /** The task. */
  task: SequenceData["task"];
  /** Training steps per run. */
  steps: number;
  /** Sequences per batch. */
  batchSize: number;
  /** The seed of every run. */
  seed: number;
  /** One row per spec and truncation, truncation-major. */
  rows: SequenceComparisonRow[];
}

/** Options of `compareSequences`. */
export interface SequenceCompareOptions {
  /** The truncation windows to run (`undefined`: full BPTT). */
  truncations: (number | undefined)[];
  /** Steps per run. */
  steps: number;
  /** Sequences per batch. */
  batchSize: number;
  /** Seed. */
  seed: number;
  /** Copy tasks: the curriculum's threshold in bits per sequence. */
  threshold?: number;
  /** Text: characters per batch and stream. */
  sequenceLength?: number;
  /** Steps between progress records (batches per epoch). */
  logEvery?: number;
  /** Where names are looked up. */
  registries?: Registries;
  /** Called before each run. */
  onRunStart?: (name: string, truncation: number | undefined, index: number, total: number) => void;
  /** Called with each epoch's record. */
  onProgress?: (record: EpochRecord) => void;
}

/**
 * Trains every spec at every truncation on `data`.
 *
 * @throws {SpecError} Before anything trains, if a spec is invalid; {RangeError} if one does not fit the task.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareSequences } from "./compare.ts";
 *
 * const spec = (iface: string) => ({
 *   input: [9],
 *   layers: [{ type: "lstm", units: 8, stateInterface: iface }, { type: "dense", units: 8 }],
 *   loss: "sigmoid-cross-entropy",
 * });
 * const report = await compareSequences([{ name: "bptt", spec: spec("backprop") }, { name: "dni", spec: spec("sg") }], {
 *   task: "copy",
 * }, { truncations: [2, 3], steps: 5, batchSize: 4, seed: 0 });
 * assert.deepEqual(report.rows.map((r) => `${r.method}@${r.truncation}`), ["BPTT@2", "sg@2", "BPTT@3", "sg@3"]);
 * ```
 */
export async function compareSequences(
  specs: { name: string; spec: NetworkSpec }[],
  data: SequenceData,
  options: SequenceCompareOptions,
): Promise<SequenceComparison> {
  for (const { spec } of specs) {
    const net = buildNetwork(spec, { registries: options.registries, seed: options.seed });
    try {
      checkFit(net, data);
    } finally {
      net.dispose();
    }
  }
  const rows: SequenceComparisonRow[] = [];
  const total = specs.length * options.truncations.length;
  for (const truncation of options.truncations) {
    for (const { name, spec } of specs) {
      options.onRunStart?.(name, truncation, rows.length, total);
      const net = buildNetwork(spec, { registries: options.registries, seed: options.seed });
      try {
        const history = await train(net, data, {
          steps: options.steps,
          stepsPerEpoch: options.logEvery ?? 100,
          batchSize: options.batchSize,
          seed: options.seed,
          sequence: {
            ...(truncation === undefined ? {} : { truncation }),
            ...(options.threshold === undefined ? {} : { threshold: options.threshold }),
            ...(options.sequenceLength === undefined ? {} : { sequenceLength: options.sequenceLength }),
          },
          ...(options.onProgress ? { callbacks: { onEpochEnd: options.onProgress } } : {}),
        });
        const state = net.layers.find(isRecurrent)?.stateInterface;
        const aux = net.layers.find(isRecurrent)?.aux;
        rows.push({
          name,
          method: state ? `${state.type}${aux ? " + aux" : ""}` : "BPTT",
          truncation: truncation ?? "full",
          ...sequenceResult(data.task, history),
          seconds: history.seconds,
          history: history.epochs,
        });
      } finally {
        net.dispose();
      }
    }
  }
  return { task: data.task, steps: options.steps, batchSize: options.batchSize, seed: options.seed, rows };
}

/**
 * The comparison as a Markdown table: one row per truncation, one column per spec.
 *
 * @example
 * ```ts
 * import { sequenceMarkdown } from "./compare.ts";
 * const md = sequenceMarkdown({ task: "copy", steps: 10, batchSize: 4, seed: 0, rows: [
 *   { name: "bptt", method: "BPTT", truncation: 3, maxSequenceLength: 2, seconds: 1, history: [] },
 *   { name: "dni", method: "sg", truncation: 3, maxSequenceLength: 4, seconds: 1, history: [] },
 * ] });
 * console.assert(md.includes("| 3 | 2 | 4 |"));
 * ```
 */
export function sequenceMarkdown(report: SequenceComparison): string {
  const names = [...new Set(report.rows.map((r) => r.name))];
  const truncations = [...new Set(report.rows.map((r) => r.truncation))];
  const metric = report.task === "text"
    ? "validation bits per character (lower is better)"
    : report.task === "seq-mnist"
    ? "test accuracy"
    : "max sequence length solved (higher is better)";
  const value = (r: SequenceComparisonRow | undefined) =>
    r === undefined
      ? "-"
      : r.maxSequenceLength !== undefined
      ? String(r.maxSequenceLength)
      : r.bitsPerChar !== undefined
      ? r.bitsPerChar.toFixed(3)
      : `${((r.testAccuracy ?? NaN) * 100).toFixed(2)}%`;
  const lines = [
    `# ${report.task}: ${names.join(" vs ")}`,
    "",
    `${report.steps} steps per run, batch ${report.batchSize}, seed ${report.seed}. Cells: ${metric}.`,
    "",
    `| T | ${names.join(" | ")} |`,
    `| --- | ${names.map(() => "---").join(" | ")} |`,
    ...truncations.map((t) =>
      `| ${t} | ${names.map((n) => value(report.rows.find((r) => r.name === n && r.truncation === t))).join(" | ")} |`
    ),
    "",
    "| run | T | seconds | last synthetic-gradient cosine |",
    "| --- | --- | --- | --- |",
    ...report.rows.map((r) =>
      `| ${r.name} (${r.method}) | ${r.truncation} | ${r.seconds.toFixed(1)} | ${
        r.syntheticGradientCosine === undefined ? "-" : r.syntheticGradientCosine.toFixed(3)
      } |`
    ),
  ];
  return lines.join("\n") + "\n";
}
