// Private: the "shapes" part. A decoupling interface's send() answers with a float32 gradient of the trigger's
// shape or null, and its synthesize() with such a gradient; a coupled interface's backward() answers with one; at
// several batch sizes.
import { tf } from "../deps.ts";
import { batch, build, type Fixture, quietDispose, Violation } from "./_fixture.ts";
import { declared, isGradientAnswer, runStep, runSynthesize, type StepTensors } from "./_step.ts";

/** @throws {Violation} At the first answer of the wrong kind or shape. */
export function checkShapes(f: Fixture): void {
  const iface = build(f);
  const all: StepTensors[] = [];
  try {
    const { decouples } = declared(iface);
    [5, 3, 7].forEach((rows, step) => {
      const t = batch(f, rows, 10 + step);
      all.push(t);
      const shape = [rows, ...f.shape];
      const expected = `a float32 tensor of shape [${shape}] (the trigger's)`;
      const at = `at step ${step} (batch of ${rows})`;
      const { gradient } = runStep(iface, t, step);
      if (decouples) {
        if (gradient!.kind !== "null" && !isGradientAnswer(gradient, shape)) {
          throw new Violation(`send() returned ${gradient!.text} ${at}; expected ${expected} or null`);
        }
        const synthetic = runSynthesize(iface, t, step);
        if (!isGradientAnswer(synthetic, shape)) {
          throw new Violation(`synthesize() returned ${synthetic!.text} ${at}; expected ${expected}`);
        }
      } else if (!isGradientAnswer(gradient, shape)) {
        throw new Violation(
          `backward() returned ${gradient!.text} ${at}; expected ${expected}: the gradient its layer gets`,
        );
      }
    });
  } finally {
    quietDispose(iface);
    for (const t of all) tf.dispose([t.trigger, t.message, t.labels!]);
  }
}
