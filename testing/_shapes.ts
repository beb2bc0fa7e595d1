// Private: the "shapes" part. send, receive and synthesize answer with a float32 gradient [B, units] where they
// answer with one, at several batch sizes; receive gives the layer's gradient exactly when send did not answer.
import { tf } from "../deps.ts";
import { batch, build, type Fixture, quietDispose, Violation } from "./_fixture.ts";
import { isGradientAnswer, runStep, runSynthesize, type StepTensors } from "./_step.ts";

/** @throws {Violation} At the first answer of the wrong kind or shape. */
export function checkShapes(f: Fixture): void {
  const iface = build(f);
  const all: StepTensors[] = [];
  try {
    [5, 3, 7].forEach((rows, step) => {
      const t = batch(f, rows, 10 + step);
      all.push(t);
      const { send, receive } = runStep(iface, t, step);
      const expected = `a float32 tensor of shape [${rows},${f.units}] (B x units)`;
      const at = `at step ${step} (batch of ${rows})`;
      if (send.kind === "other" || (send.kind === "tensor" && !isGradientAnswer(send, rows, f.units))) {
        throw new Violation(`send() returned ${send.text} ${at}; expected ${expected}, null or undefined`);
      }
      if (send.kind === "undefined" && !isGradientAnswer(receive, rows, f.units)) {
        throw new Violation(
          `receive() returned ${receive!.text} ${at}, after send() returned undefined; expected the layer's ` +
            `gradient, ${expected}`,
        );
      }
      if (send.kind !== "undefined" && receive!.kind !== "undefined") {
        throw new Violation(
          `receive() returned ${receive!.text} ${at}, after send() answered with ${send.text}; expected undefined ` +
            `(the layer already has its gradient; the network ignores what receive() returns then)`,
        );
      }
      const synthetic = runSynthesize(iface, t, step);
      if (synthetic && !isGradientAnswer(synthetic, rows, f.units)) {
        throw new Violation(`synthesize() returned ${synthetic.text} ${at}; expected ${expected}`);
      }
    });
  } finally {
    quietDispose(iface);
    for (const t of all) tf.dispose([t.trigger, t.message, t.labels!]);
  }
}
