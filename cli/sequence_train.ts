/**
 * The sequence tasks on the command line (`--dataset copy|repeat-copy|seq-mnist|text:PATH`): which flags apply to
 * them and which are refused (with the reason), the train options they make, the task's data, and the text's
 * vocabulary filled into a spec. Training itself is `train()`, as for every network (`cli/run.ts`).
 *
 * @module
 */
import { MAX_TEXT_FILE_BYTES, readRegularFile } from "../_files.ts";
import { DatasetError } from "../errors.ts";
import { loadDataset } from "../datasets/load.ts";
import type { NetworkSpec } from "../network/spec.ts";
import type { SequenceData } from "../recurrent/sequence_data.ts";
import type { SequenceStream } from "../recurrent/sequence_feed.ts";
import type { TrainOptions } from "../training/options.ts";
import { textCorpus } from "../sequence/text.ts";
import { intFlag, UsageError } from "./args.ts";
import type { DataFlags } from "./data_flags.ts";

/** The sequence datasets `--dataset` takes (`text:PATH` names a UTF-8 text file). */
export const SEQUENCE_DATASETS: readonly string[] = ["copy", "repeat-copy", "seq-mnist", "text:PATH"];

/** The usage lines of the sequence flags. */
export const SEQUENCE_USAGE = `Sequence tasks (--dataset ${SEQUENCE_DATASETS.join(" | ")}, a spec with an lstm first):
  --truncation T          steps per truncated-BPTT window (default: the whole sequence, full BPTT)
  --steps N               a budget of training steps (batches) instead of --epochs (default 2000 for a sequence
                          task); with --load, N more
  --log-every N           batches per epoch: a progress line, an evaluation and a synthetic-gradient probe after
                          each (default: a pass over seq-mnist, 500 batches of copy tasks and text)
  --threshold BITS        copy tasks: the curriculum's error threshold in bits per output step (default 0.15)
  --start-length N        copy tasks: the curriculum's first pattern length (default 1)
  --sequence-length N     text: characters per stream and batch (default 100)
  --validation-split F    seq-mnist: hold out the last fraction F of the training images; text: the last fraction F
                          of the text is its validation part (default 0.1), measured after every epoch
  A text spec may write "vocabulary" for input[0] and the output layer's units: the text's distinct characters.`;

/** Whether `--dataset` names a sequence task. */
export function isSequenceDataset(name: string): boolean {
  return ["copy", "repeat-copy", "seq-mnist"].includes(name) || name.startsWith("text:");
}

/** The `--dataset` value of a saved stream (`text:PATH` for text). */
export function datasetOfStream(stream: SequenceStream): string {
  return stream.task === "text" ? `text:${stream.source ?? ""}` : stream.task;
}

const BIT_VECTORS = "a pipeline of a sequence network takes tasks with one class per step (text, seq-mnist); the " +
  "copy tasks' targets are bit vectors: train them on one thread";

// The flags each kind of task refuses, and why.
function refusals(task: string): Record<string, string> {
  const copy = task === "copy" || task === "repeat-copy";
  return {
    ...(copy
      ? {
        workers: BIT_VECTORS,
        staleness: BIT_VECTORS,
        nats: BIT_VECTORS,
        "validation-split": `${task} is generated: there is no split to hold out (its curriculum is its measure)`,
        patience: `${task} has no validation part to watch (its curriculum is its measure)`,
      }
      : {}),
    ...(task !== "seq-mnist"
      ? {
        "data-dir": `${task} reads no dataset files`,
        "train-count": `${task} has no training split of images`,
        "test-count": `${task} has no test split`,
      }
      : {}),
    ...(!copy
      ? { threshold: "it is a copy task's curriculum option", "start-length": "it is a copy task's curriculum option" }
      : {}),
    ...(task !== "text" ? { "sequence-length": "it is the text task's stream length" } : {}),
  };
}

/**
 * Refuses every flag in `values` that does not apply to `task` (`copy`, `repeat-copy`, `seq-mnist`, `text`): a
 * UsageError naming the first and why. `train` and `evaluate` of a sequence task call it.
 */
export function refuseFlags(task: string, values: Record<string, unknown>): void {
  for (const [flag, why] of Object.entries(refusals(task))) {
    if (values[flag] !== undefined && values[flag] !== false) {
      throw new UsageError(`--${flag} does not apply to --dataset ${task}: ${why}`);
    }
  }
}

/** The flags only sequence tasks take: a feed-forward dataset refuses them. */
export const SEQUENCE_ONLY_FLAGS: readonly string[] = [
  "truncation",
  "threshold",
  "start-length",
  "sequence-length",
  "log-every",
];

/**
 * Reads the sequence flags of `task`, refusing every one that does not apply (a UsageError naming it and why), and
 * gives the train options they make.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sequenceFlags } from "./sequence_train.ts";
 * assert.deepEqual(sequenceFlags("copy", { truncation: "3", steps: "40" }).sequence, { truncation: 3 });
 * assert.throws(() => sequenceFlags("copy", { "validation-split": "0.1" }), /copy is generated/);
 * ```
 */
export function sequenceFlags(task: string, values: Record<string, unknown>): TrainOptions {
  refuseFlags(task, values);
  if (values.epochs !== undefined && values.steps !== undefined) {
    throw new UsageError("give --epochs or a budget of --steps, not both");
  }
  const threshold = values.threshold === undefined ? undefined : Number(values.threshold);
  if (threshold !== undefined && !(Number.isFinite(threshold) && threshold > 0)) {
    throw new UsageError(`--threshold must be a number of bits > 0, got "${values.threshold}"`);
  }
  const int = (flag: string) => values[flag] === undefined ? undefined : intFlag(values, flag, 0, 1);
  const sequence = {
    ...(int("truncation") === undefined ? {} : { truncation: int("truncation")! }),
    ...(threshold === undefined ? {} : { threshold }),
    ...(int("start-length") === undefined ? {} : { startLength: int("start-length")! }),
    ...(int("sequence-length") === undefined ? {} : { sequenceLength: int("sequence-length")! }),
  };
  // An epoch: --log-every batches; by default a pass over seq-mnist with --epochs, else 500 batches.
  const logEvery = int("log-every") ?? (task === "seq-mnist" && values.epochs !== undefined ? undefined : 500);
  return {
    ...(values.epochs === undefined
      ? { steps: intFlag(values, "steps", 2000, 1) }
      : { epochs: intFlag(values, "epochs", 10, 1) }),
    ...(logEvery === undefined ? {} : { stepsPerEpoch: logEvery }),
    sequence,
  };
}

/**
 * Loads a sequence task's data: generated (copy tasks), MNIST row by row (`--data-dir`, `--train-count`,
 * `--test-count`), or a text file (its validation part the last `--validation-split`).
 */
export async function sequenceData(
  dataset: string,
  flags: DataFlags,
  onProgress: (m: string) => void,
): Promise<SequenceData> {
  if (dataset === "copy" || dataset === "repeat-copy") return { task: dataset };
  if (dataset === "seq-mnist") {
    const { dataDir, trainCount, testCount } = flags;
    const data = await loadDataset("mnist", { dataDir, trainCount, testCount, onProgress });
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
  const split = flags.validationSplit;
  return {
    task: "text",
    corpus: textCorpus(text, { file: path, ...(split ? { validation: split } : {}) }),
    source: path,
  };
}

/**
 * A spec with `"vocabulary"` in `input[0]` and the output layer's `units` filled with `size` (a text's distinct
 * characters); any other spec unchanged.
 *
 * @throws {UsageError} If the spec says `"vocabulary"` but the task has none (`size` undefined).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withVocabulary } from "./sequence_train.ts";
 * const spec = { input: ["vocabulary"], layers: [{ type: "lstm", units: 8 }, { type: "dense", units: "vocabulary" }] };
 * // deno-lint-ignore no-explicit-any
 * const filled = withVocabulary(spec as any, 40);
 * assert.deepEqual([filled.input, filled.layers[1]!.units], [[40], 40]);
 * ```
 */
export function withVocabulary(spec: NetworkSpec, size: number | undefined): NetworkSpec {
  const says = (v: unknown) => v === "vocabulary";
  const layers = Array.isArray(spec.layers) ? spec.layers : [];
  if (!says(spec.input?.[0]) && !layers.some((l) => says(l?.units))) return spec;
  if (size === undefined) {
    throw new UsageError('the spec says "vocabulary": it takes its width from a text task (--dataset text:PATH)');
  }
  return {
    ...spec,
    input: spec.input.map((d) => says(d) ? size : d),
    layers: layers.map((l) => says(l?.units) ? { ...l, units: size } : l),
  };
}
