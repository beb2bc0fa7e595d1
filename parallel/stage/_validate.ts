// Private: a pipeline's second line of defence (the first: only the run's own processes reach it). Every message a
// stage is handed (`ToStage`) is checked before it is acted on; what fails is dropped and counted, with a warning the
// first time of each kind of problem (`Drops`, `../_refusals.ts`), so that no message can crash, hang or mistrain a
// process. A batch's check is a few comparisons and one pass over its labels. What the coordinator hears is checked
// in `../schedule/_validate.ts`; the shared transport's own messages in `../transport/shared/_validate.ts`.
import { type Forward, type Message, NO_TARGET } from "../protocol.ts";
import { brief, isCount, isRecord, type Refusal, refuse, STAGE_KINDS } from "../_refusals.ts";

/**
 * The most rows a batch may have: far more than a batch of any run (its inputs must be there too: `x` holds exactly
 * rows times the input's width).
 */
export const MAX_ROWS = 1 << 24;

/** A refusal unless `m` is an object of a kind a stage knows, whose `sent` stamp, if any, is a finite number. */
export function envelopeRefusal(m: unknown): Refusal | undefined {
  if (!isRecord(m)) return refuse("not an object", `${brief(m)} is not an object`);
  if (typeof m.kind !== "string" || !STAGE_KINDS.has(m.kind)) {
    return refuse("unknown kind", `its kind ${brief(m.kind)} is none a stage knows`);
  }
  if (m.sent !== undefined && !Number.isFinite(m.sent)) {
    return refuse("bad stamp", `its stamp ${brief(m.sent)} is not a finite number`);
  }
  return undefined;
}

/**
 * A refusal unless `f` is a batch a stage may train now: `last` the step it trained last (undefined: none yet; then
 * only the next step, `last + 1`, is taken, since the coordinator numbers the batches one by one), `width` the values
 * per row of its input, `classes` the network's classes.
 */
export function forwardRefusal(
  f: Forward,
  last: number | undefined,
  width: number,
  classes: number,
  sequences = false,
): Refusal | undefined {
  const { step, rows, x, labels, window } = f;
  if (!isCount(step)) return refuse("bad step", `step ${brief(step)} is not a non-negative integer`);
  if (last !== undefined && step !== last + 1) {
    return step <= last
      ? refuse("step already trained", `step ${step} already trained`)
      : refuse("step skips ahead", `step ${step} is not the next one, ${last + 1}`);
  }
  if (!isCount(rows, 1) || rows > MAX_ROWS) {
    return refuse("bad rows", `step ${step}: rows ${brief(rows)} is not an integer from 1 to ${MAX_ROWS}`);
  }
  if (!(x instanceof Float32Array) || x.length !== rows * width) {
    return refuse("inputs of the wrong size", `step ${step}: x is ${brief(x)}, not ${rows} rows of ${width} floats`);
  }
  if (!(labels instanceof Uint8Array) || labels.length !== rows) {
    return refuse("labels of the wrong size", `step ${step}: labels are ${brief(labels)}, not Uint8Array(${rows})`);
  }
  if (sequences !== (window !== undefined)) {
    return sequences
      ? refuse("no window", `step ${step}: a sequence network's stage needs the window of its rows`)
      : refuse("unexpected window", `step ${step}: a window, for a network that has no recurrent layer here`);
  }
  if (window !== undefined) {
    const refusal = windowRefusal(window, rows, classes);
    if (refusal !== undefined) return refuse(refusal.reason, `step ${step}: ${refusal.detail}`);
  }
  for (let i = 0; i < rows; i++) {
    if (labels[i]! >= classes && !(window !== undefined && labels[i] === NO_TARGET)) {
      return refuse("label out of range", `step ${step}: label ${labels[i]} at row ${i} is outside 0..${classes - 1}`);
    }
  }
  return undefined;
}

// A refusal unless `w` describes a window of `rows` rows.
function windowRefusal(w: unknown, rows: number, classes: number): Refusal | undefined {
  if (!isRecord(w)) return refuse("bad window", `its window ${brief(w)} is not an object`);
  const { sequences, time, future, fresh, sequenceLabels } = w;
  if (!isCount(sequences, 1) || !isCount(time, 1) || sequences * time !== rows) {
    return refuse(
      "bad window",
      `its window of ${brief(sequences)} sequences x ${brief(time)} steps is not ${rows} rows`,
    );
  }
  if (typeof future !== "boolean" || typeof fresh !== "boolean") {
    return refuse("bad window", `its window's future ${brief(future)} and fresh ${brief(fresh)} are not booleans`);
  }
  if (
    sequenceLabels !== undefined &&
    (!(sequenceLabels instanceof Uint8Array) || sequenceLabels.length !== sequences ||
      sequenceLabels.some((l) => l >= classes))
  ) {
    return refuse("bad window", `its sequence labels ${brief(sequenceLabels)} are not ${sequences} classes`);
  }
  return undefined;
}

/**
 * A refusal unless `m` is the message for a step this stage awaits one for: `rows` the rows of that step's batch
 * (undefined: it awaits none for `m.step`), `width` the values per row of the stage's output.
 */
export function messageRefusal(m: Message, rows: number | undefined, width: number): Refusal | undefined {
  const { step, gradient, factor } = m;
  if (rows === undefined) return refuse("step not awaited", `step ${brief(step)} is not one this stage awaits`);
  if (gradient === null) {
    return factor === undefined ? undefined : refuse("factor without gradient", `step ${step}: a factor, no gradient`);
  }
  let units = width;
  if (factor !== undefined) {
    const shape = isRecord(factor) ? factor.shape : undefined;
    if (!Array.isArray(shape) || shape.length !== 2 || !isCount(shape[0], 1) || shape[1] !== width) {
      return refuse("bad factor shape", `step ${step}: factor shape ${brief(shape)} is not [units >= 1, ${width}]`);
    }
    if (!(factor.values instanceof Float32Array) || factor.values.length !== shape[0] * width) {
      return refuse("factor of the wrong size", `step ${step}: factor is ${brief(factor.values)}, not [${shape}]`);
    }
    units = shape[0];
  }
  if (!(gradient instanceof Float32Array) || gradient.length !== rows * units) {
    return refuse(
      "gradient of the wrong size",
      `step ${step}: gradient is ${brief(gradient)}, not ${rows} rows of ${units} floats`,
    );
  }
  return undefined;
}
