/**
 * The registry of optimizers, filled with the built-ins.
 *
 * @module
 */
import { Registry } from "../registry.ts";
import { adam, momentum, type OptimizerFactory, rmsprop, sgd } from "./optimizer.ts";

/** A new optimizer registry holding `sgd`, `momentum`, `adam` and `rmsprop`. */
export function builtinOptimizers(): Registry<OptimizerFactory> {
  return new Registry<OptimizerFactory>("optimizer")
    .register("sgd", sgd)
    .register("momentum", momentum)
    .register("adam", adam)
    .register("rmsprop", rmsprop);
}
