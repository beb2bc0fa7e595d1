// Private: the "evaluation" part. Probing and evaluating change nothing: synthesize() leaves the interface's
// variables and its later training as they were, and so do predict, evaluate and probeGradients on a network.
import { tf } from "../deps.ts";
import { batches } from "../datasets/dataset.ts";
import { hasTrainingState } from "../interfaces/interface.ts";
import { buildNetwork } from "../network/build.ts";
import type { Network } from "../network/network.ts";
import { probeGradients } from "../network/probe.ts";
import { batchTensors, evaluate } from "../training/evaluate.ts";
import {
  batch,
  build,
  call,
  firstDifference,
  type Fixture,
  networkRegistries,
  networkSpec,
  quietDispose,
  snapshot,
  tinyDataset,
  Violation,
} from "./_fixture.ts";
import { declared, runStep, runSynthesize, sameAnswer, type StepOutcome, unlessIrreproducible } from "./_step.ts";
import { stateDifference } from "./_state.ts";

/** @throws {Violation} If probing or evaluating changed a variable or the training that follows. */
export function checkEvaluation(f: Fixture): void {
  checkSynthesize(f);
  checkNetwork(f);
}

// Two twins step alike; one also gets synthesize() calls before each step (as the epoch-end probe does).
function checkSynthesize(f: Fixture): void {
  const probed = build(f);
  const twin = build(f);
  const all = [0, 1, 2, 3].map((s) => batch(f, 5, 40 + s));
  const probe = batch(f, 6, 50);
  try {
    if (!declared(probed).decouples) return; // a coupled interface has no synthesize()
    for (let step = 0; step < all.length; step++) {
      const before = snapshot(probed.variables);
      const start = tf.memory().numTensors;
      runSynthesize(probed, probe, step);
      runSynthesize(probed, all[step]!, step);
      if (tf.memory().numTensors !== start) {
        throw new Violation(
          `synthesize() left ${tf.memory().numTensors - start} tensors behind inside tf.tidy; expected 0`,
        );
      }
      const changed = firstDifference(before, snapshot(probed.variables));
      if (changed) {
        throw new Violation(
          `synthesize() before step ${step} changed variable ${changed.index} (by up to ${changed.difference}); ` +
            `expected no side effect: no learning, no statistics`,
        );
      }
      const a = runStep(probed, all[step]!, step), b = runStep(twin, all[step]!, step);
      if (!sameOutcome(a, b)) {
        unlessIrreproducible(f);
        throw new Violation(
          `after synthesize() calls, step ${step} gave send() ${a.gradient!.text}, unlike an interface without ` +
            `those calls (${b.gradient!.text}${a.gradient!.text === b.gradient!.text ? ", other values" : ""}); ` +
            `expected synthesize() to change nothing (no random draws either)`,
        );
      }
    }
    const changed = firstDifference(snapshot(probed.variables), snapshot(twin.variables));
    if (changed) {
      unlessIrreproducible(f);
      throw new Violation(
        `after 4 steps with synthesize() calls, variable ${changed.index} differs by up to ${changed.difference} ` +
          `from an interface trained without them; expected the same`,
      );
    }
    if (hasTrainingState(probed) && hasTrainingState(twin)) {
      const difference = stateDifference(
        call("getTrainingState()", () => twin.getTrainingState()),
        call("getTrainingState()", () => probed.getTrainingState()),
      );
      if (difference) {
        unlessIrreproducible(f);
        throw new Violation(
          `after 4 steps with synthesize() calls, the training state differs from that of an interface trained ` +
            `without them (${difference}); expected the same: synthesize() draws no random numbers, counts nothing`,
        );
      }
    }
  } finally {
    quietDispose(probed);
    quietDispose(twin);
    for (const t of [...all, probe]) tf.dispose([t.trigger, t.message, t.labels]);
  }
}

// Two twin networks train alike; one is evaluated and probed after every step.
function checkNetwork(f: Fixture): void {
  const data = tinyDataset(f);
  const make = () => call("buildNetwork()", () => buildNetwork(networkSpec(f), { registries: networkRegistries(f) }));
  const evaluated = make();
  let twin: Network | undefined;
  try {
    twin = make();
    let step = 0;
    for (const b of batches(data.train, data.features, 40, f.seed)) {
      const { x, labels } = batchTensors(b, data.features, data.classes);
      try {
        call("Network.trainStep()", () => evaluated.trainStep(x, labels));
        call("Network.trainStep()", () => twin!.trainStep(x, labels));
        const before = snapshot(evaluated.variables);
        tf.dispose(call("Network.predict()", () => evaluated.predict(x)));
        call("evaluate()", () => evaluate(evaluated, data.test));
        call("probeGradients()", () => probeGradients(evaluated, x, labels));
        const changed = firstDifference(before, snapshot(evaluated.variables));
        if (changed) {
          throw new Violation(
            `predict, evaluate and probeGradients after step ${step} changed network variable ${changed.index} ` +
              `(by up to ${changed.difference}); expected evaluation to change nothing`,
          );
        }
      } finally {
        tf.dispose([x, labels]);
      }
      if (++step === 4) break;
    }
    const changed = firstDifference(snapshot(evaluated.variables), snapshot(twin.variables));
    if (changed) {
      unlessIrreproducible(f);
      throw new Violation(
        `a network evaluated and probed after each of 4 steps ends with variable ${changed.index} differing by up to ` +
          `${changed.difference} from its twin that was not; expected the same training`,
      );
    }
  } finally {
    evaluated.dispose();
    twin?.dispose();
  }
}

function sameOutcome(a: StepOutcome, b: StepOutcome): boolean {
  return sameAnswer(a.gradient, b.gradient);
}
