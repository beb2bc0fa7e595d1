/**
 * `train` on a sequence task (`--dataset copy|repeat-copy|seq-mnist|text:PATH`): truncated BPTT, with or without a
 * synthetic gradient on the recurrent state, on a budget of `--steps` batches.
 *
 * @module
 */
import { MAX_TEXT_FILE_BYTES, readRegularFile } from "../_files.ts";
import { DatasetError } from "../errors.ts";
import { loadDataset } from "../datasets/load.ts";
import type { Registries } from "../network/registries.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { buildRecurrentModel } from "../recurrent/build.ts";
import { checkFit, type SequenceData } from "../recurrent/sequence_data.ts";
import { type SequenceRecord, type SequenceTrainResult, trainSequences } from "../recurrent/train_sequences.ts";
import { textCorpus } from "../sequence/text.ts";
import { intFlag, UsageError } from "./args.ts";

/** The sequence datasets `--dataset` takes (`text:PATH` names a UTF-8 text file). */
export const SEQUENCE_DATASETS: readonly string[] = ["copy", "repeat-copy", "seq-mnist", "text:PATH"];

/** The usage lines of the sequence flags. */
export const SEQUENCE_USAGE = `Sequence tasks (--dataset ${SEQUENCE_DATASETS.join(" | ")}, a spec with an lstm core):
  --truncation T          steps per truncated-BPTT window (default: the whole sequence, full BPTT)
  --steps N               training steps (batches) (default 2000)
  --threshold BITS        copy tasks: the curriculum's error threshold in bits per sequence (default 0.15)
  --start-length N        copy tasks: the curriculum's first pattern length (default 1)
  --sequence-length N     text: characters per stream and batch (default 100)
  --log-every N           steps between progress lines and synthetic-gradient probes (default 500)`;

/** Whether `--dataset` names a sequence task. */
export function isSequenceDataset(name: string): boolean {
  return ["copy", "repeat-copy", "seq-mnist"].includes(name) || name.startsWith("text:");
}

/** The JSON line of a sequence run. */
export interface SequenceRunResult extends SequenceTrainResult {
  /** The spec trained, normalised. */
  spec: NetworkSpec;
  /** The `--dataset` value. */
  dataset: string;
  /** Sequences per batch. */
  batchSize: number;
  /** The seed. */
  seed: number;
}

/** What the sequence path reads from the command line. */
export interface SequenceArgs {
  values: Record<string, unknown>;
  spec: NetworkSpec;
  specPath: string;
  dataset: string;
  seed: number;
  registries: Registries;
  json: boolean;
  backendSays: string;
  log: (s: string) => void;
}

/** Reads the sequence flags, refusing the ones that do not apply. */
export function sequenceFlags(values: Record<string, unknown>) {
  for (const flag of ["epochs", "workers", "staleness", "save", "load"]) {
    if (values[flag] !== undefined) {
      throw new UsageError(
        `--${flag} does not apply to sequence tasks` +
          (flag === "epochs" ? " (give a budget of --steps)" : " (sequence training runs on one thread, unsaved)"),
      );
    }
  }
  const threshold = values.threshold === undefined ? 0.15 : Number(values.threshold);
  if (!Number.isFinite(threshold) || threshold <= 0) {
    throw new UsageError(`--threshold must be a number of bits > 0, got "${values.threshold}"`);
  }
  return {
    truncation: values.truncation === undefined ? undefined : intFlag(values, "truncation", 0, 1),
    steps: intFlag(values, "steps", 2000, 1),
    threshold,
    startLength: intFlag(values, "start-length", 1, 1),
    sequenceLength: intFlag(values, "sequence-length", 100, 1),
    logEvery: intFlag(values, "log-every", 500, 1),
  };
}

/** Loads a sequence task's data: generated (copy tasks), MNIST row by row, or a text file. */
export async function sequenceData(
  dataset: string,
  values: Record<string, unknown>,
  onProgress: (m: string) => void,
): Promise<SequenceData> {
  if (dataset === "copy" || dataset === "repeat-copy") return { task: dataset };
  if (dataset === "seq-mnist") {
    const data = await loadDataset("mnist", {
      dataDir: values["data-dir"] as string | undefined,
      trainCount: values["train-count"] === undefined ? undefined : intFlag(values, "train-count", 0, 1),
      testCount: values["test-count"] === undefined ? undefined : intFlag(values, "test-count", 0, 1),
      onProgress,
    });
    return { task: "seq-mnist", train: data.train, test: data.test };
  }
  const path = dataset.slice("text:".length);
  if (path === "") throw new UsageError('--dataset text:PATH needs a file path, e.g. "text:corpus.txt"');
  const bytes = await readRegularFile(path, {
    what: "a text dataset",
    maxBytes: MAX_TEXT_FILE_BYTES,
    fail: (problem) => new DatasetError(path, problem),
  });
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new DatasetError(path, "is not valid UTF-8 text");
  }
  return { task: "text", corpus: textCorpus(text, { file: path }), source: path };
}

/** Trains a sequence spec; returns the exit status after printing progress and the result. */
export async function sequenceTrain(
  args: SequenceArgs,
  io: { out: (s: string) => void; err: (s: string) => void },
): Promise<number> {
  const { values, spec, specPath, dataset, seed, registries, json, log } = args;
  const flags = sequenceFlags(values);
  const batchSize = intFlag(values, "batch-size", 32, 1);
  const model = buildRecurrentModel(spec, { seed, registries });
  try {
    const data = await sequenceData(dataset, values, (m) => io.err(m + "\n"));
    checkFit(model, data);
    log(args.backendSays + "\n");
    log(
      `training ${specPath} on ${dataset}: ${
        model.stateInterface ? `${model.stateInterface.type} on the state` : "BPTT"
      }` +
        `, truncation ${flags.truncation ?? "full"}, ${flags.steps} steps, batch ${batchSize}, seed ${seed}\n`,
    );
    const result = trainSequences(model, data, {
      ...flags,
      batchSize,
      seed,
      onProgress: (r) => log(progressLine(r) + "\n"),
    });
    const run: SequenceRunResult = { ...result, spec: model.getSpec(), dataset, batchSize, seed };
    if (json) io.out(JSON.stringify(run) + "\n");
    else io.out(summaryLine(run) + "\n");
    return 0;
  } finally {
    model.dispose();
  }
}

/**
 * One progress line.
 *
 * @example
 * ```ts
 * import { progressLine } from "./sequence_train.ts";
 * const line = progressLine({ step: 500, seconds: 12.3, loss: 4.2, errorBits: 6.1, level: 3, maxSequenceLength: 2 });
 * console.assert(line === "step 500  length 3 (solved 2)  error 6.10 bits  loss 4.2000  12.3s");
 * ```
 */
export function progressLine(r: SequenceRecord): string {
  return [
    `step ${r.step}`,
    ...(r.level === undefined ? [] : [`length ${r.level} (solved ${r.maxSequenceLength})`]),
    `error ${r.errorBits.toFixed(2)} bits`,
    `loss ${r.loss.toFixed(4)}`,
    ...(r.syntheticGradientCosine === undefined || Number.isNaN(r.syntheticGradientCosine)
      ? []
      : [`sg cosine ${r.syntheticGradientCosine.toFixed(3)}`]),
    `${r.seconds.toFixed(1)}s`,
  ].join("  ");
}

function summaryLine(r: SequenceRunResult): string {
  const what = r.maxSequenceLength !== undefined
    ? `max sequence length ${r.maxSequenceLength}`
    : r.bitsPerChar !== undefined
    ? `validation ${r.bitsPerChar.toFixed(3)} bits/char`
    : `test accuracy ${((r.testAccuracy ?? NaN) * 100).toFixed(2)}%`;
  return `${what}  (${r.steps} steps, truncation ${r.truncation}, ${r.seconds.toFixed(1)}s training)`;
}
