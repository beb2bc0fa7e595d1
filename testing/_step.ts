// Private: one training step of a lone interface, called the way `Network.trainStep` calls it: `send` then (unless
// the message does not come) `receive`, inside `tf.tidy`, then `release(step)` outside it.
import { tf } from "../deps.ts";
import type { NeuralInterface, StepContext } from "../interfaces/interface.ts";
import { call, describe } from "./_fixture.ts";

/** What one call gave back, read out of the tidy scope. */
export interface Answer {
  /** For messages: `undefined`, `a float32 tensor of shape [5,6]`, ... */
  text: string;
  kind: "tensor" | "null" | "undefined" | "other";
  /** A tensor's dtype, shape and values. */
  dtype?: string;
  shape?: number[];
  values?: Float32Array;
}

/** What a step gave back. */
export interface StepOutcome {
  send: Answer;
  /** Undefined when the message was not delivered. */
  receive?: Answer;
}

/** The tensors of one step; `labels` undefined means a context without labels. */
export interface StepTensors {
  trigger: tf.Tensor2D;
  message: tf.Tensor2D;
  labels?: tf.Tensor2D;
}

/** Whether an answer is a float32 gradient of shape [rows, units]. */
export function isGradientAnswer(a: Answer | undefined, rows: number, units: number): boolean {
  return a?.kind === "tensor" && a.dtype === "float32" && a.shape!.length === 2 && a.shape![0] === rows &&
    a.shape![1] === units;
}

/**
 * Runs step `step`: `send`, then `receive` when `deliver`, inside `tf.tidy`; then `release(step)`.
 *
 * @throws {Violation} Naming the call that threw.
 */
export function runStep(iface: NeuralInterface, t: StepTensors, step: number, deliver = true): StepOutcome {
  const context = (t.labels ? { labels: t.labels, step } : { step }) as StepContext;
  let outcome: StepOutcome | undefined;
  try {
    tf.tidy(() => {
      const send = answer(call("send()", () => iface.send(t.trigger, context)));
      outcome = { send };
      if (deliver) outcome.receive = answer(call("receive()", () => iface.receive(t.message, t.trigger, context)));
    });
  } finally {
    call(`release(${step})`, () => iface.release?.(step));
  }
  return outcome!;
}

/** Calls `synthesize` (when there is one) inside `tf.tidy` and reads its answer. */
export function runSynthesize(iface: NeuralInterface, t: StepTensors, step: number): Answer | undefined {
  if (!iface.synthesize) return undefined;
  const context = (t.labels ? { labels: t.labels, step } : { step }) as StepContext;
  let result: Answer | undefined;
  tf.tidy(() => {
    result = answer(call("synthesize()", () => iface.synthesize!(t.trigger, context)));
  });
  return result;
}

function answer(value: unknown): Answer {
  const text = describe(value);
  if (value instanceof tf.Tensor) {
    return {
      text,
      kind: "tensor",
      dtype: value.dtype,
      shape: value.shape,
      values: Float32Array.from(value.dataSync() as Float32Array),
    };
  }
  return { text, kind: value === null ? "null" : value === undefined ? "undefined" : "other" };
}
