// Private: the "decoupling" part. The interface declares `decouples` as a boolean and keeps to what it declares: a
// decoupling one has send, receive, release and synthesize, and send answers now (a tensor, or null to skip the
// update), never undefined; a coupled one has backward, and backward answers the gradient its layer gets (a coupled
// interface cannot skip). `buildNetwork` accepts it.
import { tf } from "../deps.ts";
import { buildNetwork } from "../network/build.ts";
import {
  batch,
  build,
  call,
  type Fixture,
  networkRegistries,
  networkSpec,
  quietDispose,
  Violation,
} from "./_fixture.ts";
import { declared, runStep, type StepTensors } from "./_step.ts";

/** @throws {Violation} If the declaration is missing, or the interface does not keep to it. */
export function checkDecoupling(f: Fixture): void {
  const iface = build(f);
  const all: StepTensors[] = [];
  try {
    const { decouples } = declared(iface);
    for (let step = 0; step < 4; step++) {
      const t = batch(f, 5, 60 + step);
      all.push(t);
      const deliver = step % 2 === 0;
      const { gradient } = runStep(iface, t, step, deliver);
      const at = `at step ${step}${decouples ? (deliver ? " (message delivered)" : " (no message)") : ""}`;
      if (decouples && gradient!.kind !== "tensor" && gradient!.kind !== "null") {
        throw new Violation(
          `the interface declares decouples: true, but send() returned ${gradient!.text} ${at}; expected a tensor ` +
            `(its layer's gradient now) or null (no update this step), never undefined: an interface that waits ` +
            `for the message declares decouples: false and gives its layer's gradient in backward()`,
        );
      }
      if (!decouples && deliver && gradient!.kind !== "tensor") {
        throw new Violation(
          `the interface declares decouples: false, but backward() returned ${gradient!.text} ${at}; expected a ` +
            `tensor, the gradient its layer gets (a coupled interface cannot skip an update: one that does ` +
            `declares decouples: true and answers null from send())`,
        );
      }
    }
  } finally {
    quietDispose(iface);
    for (const t of all) tf.dispose([t.trigger, t.message, t.labels!]);
  }
  const net = call("buildNetwork()", () => buildNetwork(networkSpec(f), { registries: networkRegistries(f) }));
  net.dispose();
}
