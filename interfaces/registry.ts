/**
 * The registry of neural interfaces, and the default one filled with the built-ins.
 *
 * @module
 */
import { Registry } from "../registry.ts";
import { createBackprop } from "./backprop.ts";
import type { InterfaceFactory } from "./interface.ts";
import { createLocalLoss } from "./local_loss.ts";
import { createCsg, createSg } from "./synthetic_gradient.ts";

/** A new interface registry holding the built-in interfaces: `backprop`, `sg`, `csg`, `local-loss`. */
export function builtinInterfaces(): Registry<InterfaceFactory> {
  return new Registry<InterfaceFactory>("interface").register("backprop", createBackprop)
    .register("sg", createSg)
    .register("csg", createCsg)
    .register("local-loss", createLocalLoss);
}
