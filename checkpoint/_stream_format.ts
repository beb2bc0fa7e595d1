// Private: the manifest's `stream` (a sequence network's task stream, `network.stream`), checked field by field as
// the rest of the manifest is: a bad value is a CheckpointError naming the field (`stream.options.batchSize`) and
// the value. Unknown fields are left out, as `savedWith`'s are never looked at.
import { isRecord } from "../_validate.ts";
import { SEQUENCE_TASKS } from "../recurrent/sequence_data.ts";
import type { SequenceFeedOptions, SequencePosition, SequenceStream } from "../recurrent/sequence_feed.ts";
import { Curriculum, type CurriculumState } from "../sequence/curriculum.ts";

/** Fails with "FIELD PROBLEM, got VALUE" (the caller's CheckpointError). */
export type FieldFailure = (field: string, value: unknown, problem: string) => never;

/**
 * Checks the manifest's `stream` field: a record with a known `task`, its `options` (`batchSize` and `seed` integers,
 * the optional ones in range) and its `position` (`batches` an integer >= 0; for the copy tasks the generator's and
 * the curriculum's state, which the curriculum itself checks for consistency).
 */
export function parseStream(value: unknown, fail: FieldFailure): SequenceStream {
  if (!isRecord(value)) return fail("stream", value, "must be an object");
  const task = value.task;
  if (typeof task !== "string" || !SEQUENCE_TASKS.includes(task)) {
    fail("stream.task", task, `must be one of ${SEQUENCE_TASKS.join(", ")}`);
  }
  const source = value.source;
  if (source !== undefined && typeof source !== "string") fail("stream.source", source, "must be a string");
  return {
    task: task as SequenceStream["task"],
    ...(source === undefined ? {} : { source: source as string }),
    options: parseOptions(value.options, fail),
    position: parsePosition(value.position, task === "copy" || task === "repeat-copy", fail),
  };
}

function integer(field: string, value: unknown, min: number, fail: FieldFailure): number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= min
    ? value
    : fail(field, value, `must be an integer${min > -Infinity ? ` >= ${min}` : ""}`);
}

function number(field: string, value: unknown, fail: FieldFailure): number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0
    ? value
    : fail(field, value, "must be a finite number >= 0");
}

function parseOptions(value: unknown, fail: FieldFailure): SequenceFeedOptions {
  if (!isRecord(value)) return fail("stream.options", value, "must be an object");
  const at = (name: string) => `stream.options.${name}`;
  const options: SequenceFeedOptions = {
    batchSize: integer(at("batchSize"), value.batchSize, 1, fail),
    seed: integer(at("seed"), value.seed, -Infinity, fail),
  };
  for (const name of ["truncation", "sequenceLength", "startLength", "stepsPerEpoch"] as const) {
    if (value[name] !== undefined) options[name] = integer(at(name), value[name], 1, fail);
  }
  if (value.threshold !== undefined) options.threshold = number(at("threshold"), value.threshold, fail);
  const split = value.validationSplit;
  if (split !== undefined) {
    options.validationSplit = typeof split === "number" && split > 0 && split < 1
      ? split
      : fail(at("validationSplit"), split, "must be a number in (0, 1)");
  }
  return options;
}

function parsePosition(value: unknown, copy: boolean, fail: FieldFailure): SequencePosition {
  if (!isRecord(value)) return fail("stream.position", value, "must be an object");
  const position: SequencePosition = { batches: integer("stream.position.batches", value.batches, 0, fail) };
  if (value.random === undefined && value.curriculum === undefined && !copy) return position;
  const random = value.random;
  if (!(typeof random === "number" && Number.isInteger(random) && random >= 0 && random < 2 ** 32)) {
    fail("stream.position.random", random, "must be an integer in [0, 2^32) (a copy task's generator state)");
  }
  position.random = random as number;
  position.curriculum = parseCurriculum(value.curriculum, fail);
  return position;
}

function parseCurriculum(value: unknown, fail: FieldFailure): CurriculumState {
  const field = "stream.position.curriculum";
  if (!isRecord(value)) return fail(field, value, "must be an object (a copy task's curriculum state)");
  const errors = value.errors;
  if (!Array.isArray(errors)) fail(`${field}.errors`, errors, "must be an array of finite numbers >= 0");
  const state: CurriculumState = {
    level: integer(`${field}.level`, value.level, 1, fail),
    maxSequenceLength: integer(`${field}.maxSequenceLength`, value.maxSequenceLength, 0, fail),
    errors: (errors as unknown[]).map((e, i) => number(`${field}.errors[${i}]`, e, fail)),
    threshold: number(`${field}.threshold`, value.threshold, fail),
    window: integer(`${field}.window`, value.window, 1, fail),
  };
  try {
    new Curriculum().setState(state); // its own consistency checks (maxSequenceLength below level, ...)
  } catch (error) {
    fail(field, value, `is inconsistent (${(error as Error).message})`);
  }
  return state;
}
