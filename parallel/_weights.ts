// Private: moving a network's variables between threads as plain Float32Arrays, in `Network.variables` order.
import { tf } from "../deps.ts";

/** Copies of the variables' values (transferable). */
export function readWeights(variables: readonly tf.Variable[]): Float32Array[] {
  return variables.map((v) => v.dataSync().slice() as Float32Array);
}

/** Sets the variables to `weights` (as `readWeights` gives them); `what` names the sender in errors. */
export function writeWeights(variables: readonly tf.Variable[], weights: Float32Array[], what: string): void {
  if (variables.length !== weights.length) {
    throw new Error(`${what} sent ${weights.length} weight arrays, expected ${variables.length}`);
  }
  tf.tidy(() => variables.forEach((v, i) => v.assign(tf.tensor(weights[i]!, v.shape))));
}
