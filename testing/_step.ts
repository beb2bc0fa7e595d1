// Private: one training step of a lone interface, called the way `Network.trainStep` calls it. A decoupling
// interface: `send`, then (unless the message does not come) `receive`, inside `tf.tidy`, then `release(step)`
// outside it. A coupled one: `backward` with the message, inside `tf.tidy` (no call when the message does not come).
import { tf } from "../deps.ts";
import {
  type CoupledInterface,
  type DecouplingInterface,
  INTERFACE_METHODS,
  missingMethods,
  type NeuralInterface,
  type StepContext,
} from "../interfaces/interface.ts";
import { batch, build, call, describe, type Fixture, quietDispose, Violation } from "./_fixture.ts";

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
  /** `"send()"` for a decoupling interface, `"backward()"` for a coupled one. */
  call: "send()" | "backward()";
  /** The gradient the layer gets: what `send` or `backward` answered; undefined when `backward` was not called. */
  gradient?: Answer;
}

/** The tensors of one step; `labels` undefined means a context without labels. */
export interface StepTensors {
  trigger: tf.Tensor;
  message: tf.Tensor;
  labels?: tf.Tensor2D;
}

/**
 * The interface as the kind it declares, with the methods of that kind.
 *
 * @throws {Violation} If `decouples` is not a boolean, or a method of the declared kind is missing.
 */
export function declared(
  iface: NeuralInterface,
): { decouples: true; iface: DecouplingInterface } | { decouples: false; iface: CoupledInterface } {
  const record = iface as unknown as Record<string, unknown>;
  const decouples: unknown = record.decouples;
  if (typeof decouples !== "boolean") {
    throw new Violation(
      `decouples is ${describe(decouples)}; expected the interface to declare decouples: true (it answers in ` +
        `send()) or false (it waits for the message in backward())`,
    );
  }
  const methods = decouples ? INTERFACE_METHODS.decoupling : INTERFACE_METHODS.coupled;
  const missing = missingMethods(iface)!;
  if (missing.length > 0) {
    throw new Violation(
      `the interface declares decouples: ${decouples} but lacks ${missing.map((m) => `${m}()`).join(", ")}; ` +
        `expected ${methods.map((m) => `${m}()`).join(", ")} (${
          decouples
            ? "an interface that answers in the forward pass"
            : "an interface that waits for the message: backward() gives its layer's gradient"
        })`,
    );
  }
  return decouples
    ? { decouples, iface: iface as DecouplingInterface }
    : { decouples, iface: iface as CoupledInterface };
}

/** The step's context: with the labels, or without when `t.labels` is undefined. */
export function contextOf(t: StepTensors, step: number): StepContext {
  return t.labels ? { labels: t.labels, step } : { step };
}

/** Whether an answer is a float32 gradient of shape `shape` (the trigger's). */
export function isGradientAnswer(a: Answer | undefined, shape: readonly number[]): boolean {
  return a?.kind === "tensor" && a.dtype === "float32" && a.shape!.length === shape.length &&
    a.shape!.every((d, i) => d === shape[i]);
}

/**
 * Runs step `step`. Decoupling: `send`, then `receive` when `deliver`, inside `tf.tidy`; then `release(step)`.
 * Coupled: `backward` when `deliver`, inside `tf.tidy`.
 *
 * @throws {Violation} Naming the call that threw, or the declaration that is broken.
 */
export function runStep(iface: NeuralInterface, t: StepTensors, step: number, deliver = true): StepOutcome {
  const kind = declared(iface);
  const context = contextOf(t, step);
  if (!kind.decouples) {
    const coupled = kind.iface;
    const outcome: StepOutcome = { call: "backward()" };
    if (deliver) {
      tf.tidy(() => {
        outcome.gradient = answer(call("backward()", () => coupled.backward(t.message, t.trigger, context)));
      });
    }
    return outcome;
  }
  const decoupling = kind.iface;
  const outcome: StepOutcome = { call: "send()" };
  try {
    tf.tidy(() => {
      outcome.gradient = answer(call("send()", () => decoupling.send(t.trigger, context)));
      if (deliver) call("receive()", () => decoupling.receive(t.message, t.trigger, context));
    });
  } finally {
    call(`release(${step})`, () => decoupling.release(step));
  }
  return outcome;
}

/** Calls `synthesize` of a decoupling interface inside `tf.tidy` and reads its answer; undefined for a coupled one. */
export function runSynthesize(iface: NeuralInterface, t: StepTensors, step: number): Answer | undefined {
  const kind = declared(iface);
  if (!kind.decouples) return undefined;
  const decoupling = kind.iface;
  let result: Answer | undefined;
  tf.tidy(() => {
    result = answer(call("synthesize()", () => decoupling.synthesize(t.trigger, contextOf(t, step))));
  });
  return result;
}

/** Whether two answers are the same: same kind, dtype, shape and values. */
export function sameAnswer(a: Answer | undefined, b: Answer | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.text !== b.text) return false;
  if (a.values === undefined || b.values === undefined) return a.values === b.values;
  if (a.values.length !== b.values.length) return false;
  return a.values.every((x, i) => Object.is(x, b.values![i]));
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

/**
 * Before blaming a part for a difference between twins: checks that two twins trained alike give the same results at all.
 *
 * @throws {Violation} If they do not.
 */
export function unlessIrreproducible(f: Fixture): void {
  const twins: NeuralInterface[] = [build(f), build(f)];
  const all = [0, 1, 2, 3].map((s) => batch(f, 5, 40 + s));
  try {
    all.forEach((t, step) => {
      if (!sameAnswer(runStep(twins[0]!, t, step).gradient, runStep(twins[1]!, t, step).gradient)) {
        throw new Violation(
          `two interfaces built from the same config and seed differ at step ${step}, so the part cannot be ` +
            `checked; expected them to be the same (draw random numbers from the factory's context.random)`,
        );
      }
    });
  } finally {
    twins.forEach(quietDispose);
    for (const t of all) tf.dispose([t.trigger, t.message, t.labels]);
  }
}
