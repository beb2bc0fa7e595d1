/**
 * The registry of layer types, filled with the built-ins.
 *
 * @module
 */
import { Registry } from "../registry.ts";
import { Dense } from "./dense.ts";
import type { LayerFactory } from "./layer.ts";

/** A new layer registry holding `dense`. */
export function builtinLayers(): Registry<LayerFactory> {
  return new Registry<LayerFactory>("layer").register("dense", (config, context) => new Dense(config, context));
}
