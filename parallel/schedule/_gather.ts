// Private: the end of a pipeline epoch: once the last messages have arrived, every stage is asked for its weights and
// numbers ("collect"); each reply is checked against its stage's variables (`stageVariables`) and its part of the
// training state (`stageOwns`), and a reply that does not fit fails the run (waiting for another would hang). The
// weights and the training state go back into the network.
import type { tf } from "../../deps.ts";
import type { Network } from "../../network/network.ts";
import type { Stage } from "../partition.ts";
import type { FromStage, ToStage } from "../protocol.ts";
import { stageVariables } from "../stage/_variables.ts";
import type { StagePool } from "../transport/_pool.ts";
import { WorkerError } from "../worker_error.ts";
import { writeWeights } from "../_weights.ts";
import { collectedProblem } from "./_validate.ts";
import { mergeTrainingState, stageOwns, stateProblem, trainingStateOf } from "../_training_state.ts";

/** A stage's "collected" reply. */
export type Collected = Extract<FromStage, { kind: "collected" }>;

/**
 * Collects every stage's reply and copies the weights (and, `stateful`, each stage's part of the training state) into
 * `network`; returns the replies, by stage.
 */
export async function gather(
  network: Network,
  stages: readonly Stage[],
  pool: StagePool<ToStage, FromStage>,
  stateful: boolean,
): Promise<Collected[]> {
  const variables = stages.map((st) => stageVariables(network, st.lo, st.hi));
  const expected = stateful ? trainingStateOf(network) : undefined;
  const owns = stages.map((st) => stageOwns(network, st.lo, st.hi));
  const collected = await pool.race(
    Promise.all(
      stages.map((st, k) =>
        pool.ask(
          k,
          { kind: "collect" },
          (r): r is Extract<FromStage, { kind: "collected" }> => r.kind === "collected",
        ).then((c) => {
          const problem = collectedProblem(c, variables[k]!.map((v) => v.size)) ??
            (typeof expected === "object" ? stateProblem(c.state, network, expected, owns[k]!) : undefined);
          if (problem === undefined) return c;
          const error = new WorkerError(k, st.lo, st.hi, `its "collected" reply is malformed: ${problem}`);
          pool.fail(error);
          throw error;
        })
      ),
    ),
  );
  collected.forEach((c, k) => assignStageWeights(variables[k]!, stages[k]!, c.weights));
  if (typeof expected === "object") mergeTrainingState(network, collected.map((c) => c.state!), expected);
  return collected;
}

// Copies a stage's gathered weights into its variables (`stageVariables`), once every array is checked to fit, so
// that a malformed reply changes none of them.
function assignStageWeights(variables: readonly tf.Variable[], stage: Stage, weights: Float32Array[]): void {
  const what = `Stage ${stage.lo}-${stage.hi}`;
  const bad = weights.findIndex((w, i) => !(w instanceof Float32Array) || w.length !== variables[i]?.size);
  if (weights.length !== variables.length || bad >= 0) {
    throw new Error(
      `${what} sent weights that do not fit its ${variables.length} variables ` +
        `(${weights.length} arrays${bad >= 0 ? `, array ${bad} of ${weights[bad]?.length} values` : ""})`,
    );
  }
  writeWeights(variables, weights, what);
}
