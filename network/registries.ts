/**
 * The four registries a network is built from, and the default set that `buildNetwork` uses when none is given.
 *
 * @module
 */
import type { Registry } from "../registry.ts";
import type { InterfaceFactory } from "../interfaces/interface.ts";
import { builtinInterfaces } from "../interfaces/registry.ts";
import type { LayerFactory } from "../layers/layer.ts";
import { builtinLayers } from "../layers/registry.ts";
import type { LossFactory } from "../losses/loss.ts";
import { builtinLosses } from "../losses/registry.ts";
import type { OptimizerFactory } from "../optimizers/optimizer.ts";
import { builtinOptimizers } from "../optimizers/registry.ts";

/** Where `buildNetwork` looks up the names in a spec. */
export interface Registries {
  /** Layer types. */
  layers: Registry<LayerFactory>;
  /** Neural interfaces. */
  interfaces: Registry<InterfaceFactory>;
  /** Optimizers. */
  optimizers: Registry<OptimizerFactory>;
  /** Losses. */
  losses: Registry<LossFactory>;
  /**
   * The URLs of the plugin modules loaded into these registries (`loadPlugin`), in order: Workers load the same
   * modules into their own registries, so a network that names a plugin runs there too.
   */
  plugins: string[];
}

/**
 * A new, independent set of registries holding the built-ins. Pass it to `buildNetwork` to keep your plugins
 * apart from other libraries'.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Backprop, createRegistries, defaultRegistries } from "../mod.ts";
 *
 * const registries = createRegistries();
 * assert.ok(registries.interfaces.has("backprop"));
 * registries.interfaces.register("mine", () => new Backprop());
 * assert.ok(!defaultRegistries.interfaces.has("mine")); // the default registries are untouched
 * ```
 */
export function createRegistries(): Registries {
  return {
    layers: builtinLayers(),
    interfaces: builtinInterfaces(),
    optimizers: builtinOptimizers(),
    losses: builtinLosses(),
    plugins: [],
  };
}

/** The registries used when none are passed; `registerInterface` adds to these. */
export const defaultRegistries: Registries = createRegistries();
