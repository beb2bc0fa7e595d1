// Private: the tf.Variables an interface makes, against what a checkpoint saves of it. Every variable it holds (made
// while built and while it trains, e.g. an optimizer's moments made at the first step) must be in `variables` (its
// weights) or exported by getTrainingState() (an array of its shape; a scalar may be a counter), else a checkpoint
// loses it and a resumed run starts it afresh.
import { tf } from "../deps.ts";
import type { NeuralInterface } from "../interfaces/interface.ts";
import type { TrainingState } from "../optimizers/state.ts";
import { Violation } from "./_fixture.ts";

/** The variables registered with TF.js now (to tell which ones an interface makes). */
export function registeredVariables(): Set<tf.Variable> {
  return new Set(Object.values(tf.engine().state.registeredVariables));
}

/**
 * Throws unless every variable made since `known` and still alive is one of `iface.variables` or matched by an
 * array of `state` of the same shape (a scalar also by a counter), each array and counter matching one variable.
 *
 * @param known The variables registered before the interface was built (`registeredVariables()`).
 * @param iface The interface, built and stepped since.
 * @param state Its training state, or undefined when it has none (`hasTrainingState` is false).
 * @param when What happened since `known`, for the message: `built and trained 3 steps`.
 * @throws {Violation} Naming how many variables are uncovered, and their shapes.
 */
export function checkVariablesSaved(
  known: ReadonlySet<tf.Variable>,
  iface: NeuralInterface,
  state: TrainingState | undefined,
  when: string,
): void {
  const listed = new Set<tf.Variable>(iface.variables);
  const unlisted = [...registeredVariables()].filter((v) => !known.has(v) && !listed.has(v) && !v.isDisposed);
  if (unlisted.length === 0) return;
  const arrays = (state?.arrays ?? []).map((a) => JSON.stringify(a.shape));
  let counters = Object.keys(state?.counters ?? {}).length;
  const uncovered = unlisted.filter((v) => {
    const at = arrays.indexOf(JSON.stringify(v.shape));
    if (at >= 0) {
      arrays.splice(at, 1);
      return false;
    }
    if (v.shape.length === 0 && counters > 0) {
      counters--;
      return false;
    }
    return true;
  });
  if (uncovered.length === 0) return;
  const shapes = uncovered.map((v) => `[${v.shape}]`).join(", ");
  throw new Violation(
    `${uncovered.length} of the ${unlisted.length + listed.size} tf.Variables the interface holds after it was ` +
      `${when} (shapes ${shapes}) are neither in variables nor in getTrainingState()` +
      `${state === undefined ? " (it has none: hasTrainingState is false)" : ""}; expected every variable it ` +
      "keeps to be saved with a checkpoint: list its weights in variables and export what training carries from " +
      "step to step (e.g. an optimizer's moments) with getTrainingState()/setTrainingState()",
  );
}
