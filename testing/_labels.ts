// Private: the "labels" part. Without labels (a step context whose `labels` is undefined) an interface that does not
// read them behaves exactly as with them; one that needs them throws at once, naming itself and the labels, and
// leaves no tensor behind.
import { tf } from "../deps.ts";
import type { NeuralInterface } from "../interfaces/interface.ts";
import { batch, build, firstDifference, type Fixture, quietDispose, Violation } from "./_fixture.ts";
import { type Answer, declared, runStep, runSynthesize, type StepTensors } from "./_step.ts";

/** @throws {Violation} If the interface behaves differently without labels, or fails without saying why. */
export function checkLabels(f: Fixture): void {
  const withLabels = build(f);
  const without = build(f);
  const all: StepTensors[] = [];
  try {
    declared(without); // a broken declaration is not about the labels
    for (let step = 0; step < 3; step++) {
      const t = batch(f, 5, 30 + step);
      all.push(t);
      const expected = runStep(withLabels, t, step);
      const start = tf.memory().numTensors;
      let got;
      try {
        got = runStep(without, { trigger: t.trigger, message: t.message }, step);
      } catch (error) {
        refusedClearly(without, error as Error, tf.memory().numTensors - start);
        return;
      }
      compare(got.call, step, expected.gradient!, got.gradient!);
      let synthetic: Answer | undefined;
      try {
        synthetic = runSynthesize(without, { trigger: t.trigger, message: t.message }, step);
      } catch (error) {
        throw new Violation(
          `without labels, synthesize() threw (${(error as Error).message}) although send() worked; ` +
            `expected the same result as with labels`,
        );
      }
      const reference = runSynthesize(withLabels, t, step);
      if (reference && synthetic) compare("synthesize()", step, reference, synthetic);
    }
  } finally {
    quietDispose(withLabels);
    quietDispose(without);
    for (const t of all) tf.dispose([t.trigger, t.message, t.labels!]);
  }
}

// An interface that needs labels must say so: its error names it and the labels, and the step leaks nothing.
function refusedClearly(iface: NeuralInterface, error: Error, leaked: number): void {
  const message = error.message;
  if (!/labels/i.test(message) || !message.includes(iface.type)) {
    throw new Violation(
      `without labels (context.labels undefined), ${message}; expected either the same result as with labels, or an ` +
        `error that names the interface ("${iface.type}") and the labels (see requireLabels)`,
    );
  }
  if (leaked !== 0) {
    throw new Violation(`without labels, the refused step left ${leaked} tensors behind; expected 0`);
  }
}

function compare(what: string, step: number, expected: Answer, got: Answer): void {
  const where = `without labels (context.labels undefined), ${what} at step ${step}`;
  const tail = "expected the same, or an error naming the labels from an interface that needs them";
  if (expected.kind !== got.kind || expected.text !== got.text) {
    throw new Violation(`${where} gave ${got.text}, with labels ${expected.text}; ${tail}`);
  }
  const difference = expected.values && firstDifference([expected.values], [got.values!]);
  if (difference) {
    throw new Violation(
      `${where} gave values up to ${difference.difference.toExponential(2)} away from those with labels; ${tail}`,
    );
  }
}
