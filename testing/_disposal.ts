// Private: the "disposal" part. `variables` are tf.Variables; the tensor count stays flat over steps (with and
// without a message, `release(step)` after each); `dispose()` frees everything, alone and inside a network.
import { tf } from "../deps.ts";
import { batches } from "../datasets/dataset.ts";
import { buildNetwork } from "../network/build.ts";
import { probeGradients } from "../network/probe.ts";
import { batchTensors } from "../training/evaluate.ts";
import {
  batch,
  build,
  call,
  describe,
  type Fixture,
  networkRegistries,
  networkSpec,
  quietDispose,
  tinyDataset,
  Violation,
} from "./_fixture.ts";
import { hasDiagnostics } from "../interfaces/interface.ts";
import { runStep } from "./_step.ts";

const count = () => tf.memory().numTensors;

/** @throws {Violation} At the first leak or undisposed variable. */
export function checkDisposal(f: Fixture): void {
  const t = batch(f, 5, 20);
  try {
    checkAlone(f, t);
  } finally {
    tf.dispose([t.trigger, t.message, t.labels]);
  }
  checkInNetwork(f);
}

function checkAlone(f: Fixture, t: ReturnType<typeof batch>): void {
  const before = count();
  const iface = build(f);
  let disposed = false;
  try {
    const variables: unknown = iface.variables;
    if (!Array.isArray(variables) || !variables.every((v) => v instanceof tf.Variable)) {
      throw new Violation(`variables is ${describe(variables)}; expected an array of tf.Variable (empty if none)`);
    }
    let afterTwo = 0, method = "";
    for (let step = 0; step < 8; step++) {
      method = runStep(iface, t, step, step % 2 === 0).call;
      if (step === 1) afterTwo = count();
    }
    const grown = count() - afterTwo;
    if (grown !== 0) {
      throw new Violation(
        `${grown} more tensors after 8 steps than after 2 (${
          method === "send()"
            ? "send(), receive() on every other step, release(step) after each); expected the count to stay flat: " +
              "free what a step keeps in receive() or release(step)"
            : "backward() on every other step); expected the count to stay flat: keep nothing from a step"
        }`,
      );
    }
    if (hasDiagnostics(iface)) {
      const start = count();
      const d: unknown = call("diagnostics()", () => iface.diagnostics());
      const bad = d !== null && typeof d === "object" && !Array.isArray(d)
        ? Object.entries(d).find(([, v]) => typeof v !== "number")
        : ["(itself)", d];
      if (bad) throw new Violation(`diagnostics() gave ${bad[0]} = ${describe(bad[1])}; expected numbers only`);
      if (count() > start) {
        throw new Violation(`diagnostics() left ${count() - start} tensors behind; expected it to return numbers only`);
      }
    }
    call("dispose()", () => iface.dispose());
    disposed = true;
    const alive = (variables as tf.Variable[]).filter((v) => !v.isDisposed).length;
    if (alive > 0) {
      throw new Violation(`${alive} of the ${variables.length} variables are not disposed after dispose(); expected 0`);
    }
    if (count() !== before) {
      throw new Violation(
        `${count() - before} tensors left after building the interface, 8 steps and dispose(); expected 0`,
      );
    }
  } finally {
    if (!disposed) quietDispose(iface);
  }
}

function checkInNetwork(f: Fixture): void {
  const data = tinyDataset(f);
  const before = count();
  const net = call("buildNetwork()", () => buildNetwork(networkSpec(f), { registries: networkRegistries(f) }));
  try {
    let n = 0;
    for (const b of batches(data.train, data.features, 40, f.seed)) {
      const { x, labels } = batchTensors(b, data.features, data.classes);
      try {
        call("Network.trainStep()", () => net.trainStep(x, labels));
        tf.dispose(call("Network.predict()", () => net.predict(x)));
        call("probeGradients()", () => probeGradients(net, x, labels));
      } finally {
        tf.dispose([x, labels]);
      }
      if (++n === 3) break;
    }
  } finally {
    call("Network.dispose()", () => net.dispose());
  }
  if (count() !== before) {
    throw new Violation(
      `${count() - before} tensors left after building a network with the interface on 2 layers, 3 training steps, ` +
        `predict, probeGradients and dispose(); expected 0`,
    );
  }
}
