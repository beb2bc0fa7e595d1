/**
 * The data flags of `train` and `evaluate`: which dataset (`--dataset`), where its files are (`--data-dir`), how
 * many examples of each split (`--train-count`, `--test-count`) and the validation part (`--validation-split`). One
 * table of options and one reader, so that both commands take and check them alike; which of them apply to a task
 * is each command's business (`refuseFlags` for a sequence task, `refuseEvaluateFlags` for a checkpoint).
 *
 * @module
 */
import { intFlag, UsageError } from "./args.ts";

/** The parseArgs options of the data flags. */
export const DATA_OPTIONS = {
  dataset: { type: "string" },
  "data-dir": { type: "string" },
  "train-count": { type: "string" },
  "test-count": { type: "string" },
  "validation-split": { type: "string" },
} as const;

/** The data flags, read and checked; a flag not given is left out. */
export interface DataFlags {
  /** `--dataset NAME`, as given (checked against the task by the command). */
  dataset?: string;
  /** `--data-dir DIR`: read the dataset's files from DIR. */
  dataDir?: string;
  /** `--train-count N`: the first N training examples. */
  trainCount?: number;
  /** `--test-count N`: the first N test examples. */
  testCount?: number;
  /** `--validation-split F`: the last fraction F of the training examples (of a text: its last F) for validation. */
  validationSplit?: number;
}

/**
 * Reads the data flags of `values` (parsed with `DATA_OPTIONS`), checking each value.
 *
 * @throws {UsageError} For a count that is not an integer >= 1 or a split outside (0, 1), naming the flag and value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dataFlags } from "./data_flags.ts";
 *
 * assert.deepEqual(dataFlags({ "test-count": "300", "validation-split": "0.1" }), {
 *   testCount: 300,
 *   validationSplit: 0.1,
 * });
 * assert.throws(() => dataFlags({ "train-count": "0" }), /--train-count must be an integer >= 1, got "0"/);
 * ```
 */
export function dataFlags(values: Record<string, unknown>): DataFlags {
  const count = (flag: string) => values[flag] === undefined ? undefined : intFlag(values, flag, 0, 1);
  const trainCount = count("train-count"), testCount = count("test-count");
  const raw = values["validation-split"];
  const validationSplit = raw === undefined ? undefined : Number(raw);
  if (validationSplit !== undefined && !(validationSplit > 0 && validationSplit < 1)) {
    throw new UsageError(`--validation-split must be a number in (0, 1), got "${raw}"`);
  }
  return {
    ...(values.dataset === undefined ? {} : { dataset: String(values.dataset) }),
    ...(values["data-dir"] === undefined ? {} : { dataDir: String(values["data-dir"]) }),
    ...(trainCount === undefined ? {} : { trainCount }),
    ...(testCount === undefined ? {} : { testCount }),
    ...(validationSplit === undefined ? {} : { validationSplit }),
  };
}
