// Private: the "state" part. Every tf.Variable the interface holds after it was built and trained a few steps is in
// its `variables` or its training state (`_variables.ts`). With training state (`hasTrainingState`):
// getTrainingState() is plain data (named Float32Arrays with their shapes, integer counters), and an interface built
// alike that gets the original's variables and `setTrainingState(state)` then steps exactly like the original: the
// same answers, the same variables and the same training state. Without the capability, that is all there is.
import { isDeepStrictEqual } from "node:util";
import { tf } from "../deps.ts";
import { hasTrainingState, type NeuralInterface } from "../interfaces/interface.ts";
import type { TrainingState } from "../optimizers/state.ts";
import { isRecord } from "../_validate.ts";
import { show } from "../errors.ts";
import {
  batch,
  build,
  call,
  describe,
  errorText,
  firstDifference,
  type Fixture,
  quietDispose,
  snapshot,
  Violation,
} from "./_fixture.ts";
import { declared, runStep, sameAnswer, type StepTensors, unlessIrreproducible } from "./_step.ts";
import { checkVariablesSaved, registeredVariables } from "./_variables.ts";

/** What the part says of an interface without training state (whose variables are all in `variables`). */
export const NO_TRAINING_STATE = "no training state to restore (hasTrainingState is false); every tf.Variable it " +
  "holds is in its variables";

/** Steps before the state is taken, and after it is restored. */
const BEFORE = 3, AFTER = 4;

/**
 * @returns A note when there is no training state to restore.
 * @throws {Violation} If the state is not plain data, or the restored interface steps unlike the original.
 */
export function checkState(f: Fixture): string | void {
  const known = registeredVariables();
  const original = build(f);
  let restored: NeuralInterface | undefined;
  const all: StepTensors[] = [];
  try {
    declared(original);
    for (let step = 0; step < BEFORE + AFTER; step++) all.push(batch(f, 5, 70 + step));
    // The message comes on every step but one, so that both what send() keeps and what receive() learns count.
    for (let step = 0; step < BEFORE; step++) runStep(original, all[step]!, step, step !== 1);
    const trained = `built and trained ${BEFORE} steps`;
    if (!hasTrainingState(original)) {
      checkVariablesSaved(known, original, undefined, trained);
      return NO_TRAINING_STATE;
    }
    const start = tf.memory().numTensors;
    const state: unknown = call("getTrainingState()", () => original.getTrainingState());
    if (tf.memory().numTensors !== start) {
      throw new Violation(
        `getTrainingState() left ${tf.memory().numTensors - start} tensors behind; expected plain data only`,
      );
    }
    checkPlainData(state);
    checkVariablesSaved(known, original, state, trained);
    let saved: TrainingState;
    try {
      saved = structuredClone(state);
    } catch (error) {
      throw new Violation(`getTrainingState() cannot be copied (structuredClone threw ${errorText(error)})`);
    }

    const twin = build(f);
    restored = twin;
    if (!hasTrainingState(twin)) {
      throw new Violation("a second interface built alike has no getTrainingState()/setTrainingState(); expected both");
    }
    copyVariables(original, twin);
    // The first restore may make what a fresh interface lacks (an optimizer's slots); the second one replaces it.
    call("setTrainingState()", () => twin.setTrainingState(structuredClone(saved)));
    const before = tf.memory().numTensors;
    call("setTrainingState()", () => twin.setTrainingState(saved));
    if (tf.memory().numTensors !== before) {
      throw new Violation(
        `setTrainingState() a second time with the same state left ${tf.memory().numTensors - before} more ` +
          `tensors; expected the same number (free what it replaces)`,
      );
    }
    const restoredText = `an interface built alike, given the original's variables and ` +
      `setTrainingState(getTrainingState()) after ${BEFORE} steps,`;
    for (let step = BEFORE; step < BEFORE + AFTER; step++) {
      const a = runStep(original, all[step]!, step), b = runStep(twin, all[step]!, step);
      if (!sameAnswer(a.gradient, b.gradient)) {
        unlessIrreproducible(f);
        throw new Violation(
          `${restoredText} gave ${b.call} ${b.gradient?.text} at step ${step}, the original ${a.gradient?.text}` +
            `${a.gradient?.text === b.gradient?.text ? " with other values" : ""}; expected the same: the training ` +
            `state must hold what training carries from step to step besides the variables`,
        );
      }
    }
    const changed = firstDifference(snapshot(original.variables), snapshot(twin.variables));
    if (changed) {
      unlessIrreproducible(f);
      throw new Violation(
        `${restoredText} ends ${AFTER} more steps with variable ${changed.index} differing by up to ` +
          `${changed.difference} from the original's; expected the same`,
      );
    }
    const difference = stateDifference(
      call("getTrainingState()", () => original.getTrainingState()),
      call("getTrainingState()", () => twin.getTrainingState()),
    );
    if (difference) {
      unlessIrreproducible(f);
      throw new Violation(
        `${restoredText} ends ${AFTER} more steps with a training state unlike the original's: ${difference}; ` +
          `expected the same`,
      );
    }
  } finally {
    quietDispose(original);
    quietDispose(restored);
    for (const t of all) tf.dispose([t.trigger, t.message, t.labels!]);
  }
}

/** The first difference of `b` from `a` (training states), for messages, or undefined when they are the same. */
export function stateDifference(a: TrainingState, b: TrainingState): string | undefined {
  const keys = [...new Set([...Object.keys(a.counters), ...Object.keys(b.counters)])];
  const counter = keys.find((k) => !Object.is(a.counters[k], b.counters[k]));
  if (counter !== undefined) {
    return `counter ${show(counter)} is ${b.counters[counter]} against ${a.counters[counter]}`;
  }
  const names = (s: TrainingState) => s.arrays.map((x) => x.name);
  if (!isDeepStrictEqual(names(a), names(b))) return `arrays ${show(names(b))} against ${show(names(a))}`;
  const changed = firstDifference(a.arrays.map((x) => x.values), b.arrays.map((x) => x.values));
  if (changed) {
    return `array ${show(a.arrays[changed.index]!.name)} differs by up to ${changed.difference}`;
  }
  return undefined;
}

// getTrainingState() must be { arrays: [{ name, shape, values: Float32Array }], counters: { name: integer } }.
function checkPlainData(state: unknown): asserts state is TrainingState {
  const expected = "expected { arrays: [{ name, shape, values: Float32Array }], counters: { [name]: integer } }";
  if (!isRecord(state) || !Array.isArray(state.arrays) || !isRecord(state.counters)) {
    throw new Violation(`getTrainingState() returned ${describe(state)} ${shapeOf(state)}; ${expected}`);
  }
  const seen = new Set<string>();
  state.arrays.forEach((entry: unknown, i: number) => {
    const at = `getTrainingState().arrays[${i}]`;
    if (!isRecord(entry) || typeof entry.name !== "string" || entry.name.length === 0) {
      throw new Violation(`${at} is ${describe(entry)} without a name; ${expected}`);
    }
    if (seen.has(entry.name)) throw new Violation(`${at} repeats the name ${show(entry.name)}; expected unique names`);
    seen.add(entry.name);
    const shape = entry.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new Violation(`${at} (${show(entry.name)}) has shape ${describe(shape)}; expected an array of integers`);
    }
    const size = shape.reduce((p: number, d: number) => p * d, 1);
    if (!(entry.values instanceof Float32Array) || entry.values.length !== size) {
      throw new Violation(
        `${at} (${show(entry.name)}) has values ${describe(entry.values)}${
          entry.values instanceof Float32Array ? ` of ${entry.values.length}` : ""
        }; expected a Float32Array of ${size} values (shape [${shape}])`,
      );
    }
  });
  for (const [name, value] of Object.entries(state.counters)) {
    if (!Number.isSafeInteger(value)) {
      throw new Violation(`getTrainingState().counters.${name} is ${describe(value)}; expected an integer`);
    }
  }
}

function shapeOf(state: unknown): string {
  return isRecord(state) ? `with keys ${show(Object.keys(state))}` : "";
}

// A checkpoint saves the variables apart from the training state: the twin gets the original's.
function copyVariables(from: NeuralInterface, to: NeuralInterface): void {
  const a = from.variables, b = to.variables;
  if (a.length !== b.length || a.some((v, i) => !isDeepStrictEqual(v.shape, b[i]!.shape))) {
    throw new Violation(
      `two interfaces built alike have variables of shapes ${show(a.map((v) => v.shape))} and ` +
        `${show(b.map((v) => v.shape))}; expected the same`,
    );
  }
  tf.tidy(() => b.forEach((v, i) => v.assign(a[i]!)));
}
