/**
 * The registry of losses, filled with the built-ins.
 *
 * @module
 */
import { Registry } from "../registry.ts";
import type { LossFactory } from "./loss.ts";
import { meanSquaredError } from "./mean_squared_error.ts";
import { softmaxCrossEntropy } from "./softmax_cross_entropy.ts";

/** A new loss registry holding `softmax-cross-entropy` and `mse`. */
export function builtinLosses(): Registry<LossFactory> {
  return new Registry<LossFactory>("loss")
    .register("softmax-cross-entropy", softmaxCrossEntropy)
    .register("mse", meanSquaredError);
}
