/**
 * The registry of layer types, filled with the built-ins.
 *
 * @module
 */
import { Registry } from "../registry.ts";
import { Conv2D } from "./conv2d.ts";
import { Dense } from "./dense.ts";
import { Flatten } from "./flatten.ts";
import { Lstm } from "./lstm.ts";
import type { LayerFactory } from "./layer.ts";
import { MaxPool2D } from "./max_pool2d.ts";

/** A new layer registry holding `dense`, `conv2d`, `maxPool2d`, `flatten` and `lstm`. */
export function builtinLayers(): Registry<LayerFactory> {
  return new Registry<LayerFactory>("layer")
    .register("dense", (config, context) => new Dense(config, context))
    .register("conv2d", (config, context) => new Conv2D(config, context))
    .register("maxPool2d", (config, context) => new MaxPool2D(config, context))
    .register("flatten", (config, context) => new Flatten(config, context))
    .register("lstm", (config, context) => new Lstm(config, context));
}
