/**
 * The layer contract. Layers compute their own backward pass by hand (no autodiff tape): that keeps the gradient
 * on the fast matmul path of the wasm backend, and lets a neural interface decide which gradient reaches each
 * layer, and when.
 *
 * @module
 */
import type { tf } from "../deps.ts";
import type { Random } from "../random.ts";

/**
 * How a forward pass runs: `train` uses batch statistics and updates running ones, `eval` uses running
 * statistics, `probe` uses batch statistics without updating anything (for measurements that must not change
 * training).
 */
export type ForwardMode = "train" | "eval" | "probe";

/** What a layer's forward pass keeps for its backward pass. Opaque to everyone but the layer. */
export type LayerCache = unknown;

/** A layer's spec fields, as in the network spec (without `interface`, which the network owns). */
export interface LayerConfig {
  /** The registered layer type, e.g. `"dense"`. */
  type: string;
  /** Further fields, specific to the type. */
  [field: string]: unknown;
}

/** A layer: a function of its input with trainable variables and a hand-written backward pass. */
export interface Layer {
  /** The registered type name. */
  readonly type: string;
  /** Width of the input. */
  readonly inputUnits: number;
  /** Width of the output (the trigger its interface sees). */
  readonly units: number;
  /** Trainable variables, in the order `backward` returns their gradients. */
  readonly trainable: readonly tf.Variable[];
  /** Non-trainable state (e.g. running statistics), saved with the weights. */
  readonly state: readonly tf.Variable[];
  /** Optional: names of `[...trainable, ...state]` for checkpoints, e.g. `kernel`; see `variableNames`. */
  readonly variableNames?: readonly string[];
  /** Computes the output for a batch `x` of shape [B, inputUnits]. */
  forward(x: tf.Tensor2D, mode: ForwardMode): { output: tf.Tensor2D; cache: LayerCache };
  /**
   * From dL/d(output), computes the gradients of `trainable` and, when `needInputGradient`, dL/d(input).
   * With `"factors"`, a layer whose input gradient is a product `a x b` may return the two factors instead (a
   * pipeline stage then leaves the product to the stage below, to balance the stages); others return
   * `inputGradient` as for `true`. Does not change any variable.
   */
  backward(
    cache: LayerCache,
    outputGradient: tf.Tensor2D,
    needInputGradient: boolean | "factors",
  ): LayerGradients;
  /** The layer's spec, JSON-able, enough to build it again. */
  getConfig(): LayerConfig;
  /** Frees the layer's variables. */
  dispose(): void;
}

/** What `Layer.backward` returns. */
export interface LayerGradients {
  /** dL/d(input), when asked for. */
  inputGradient?: tf.Tensor2D;
  /** When asked for `"factors"`: dL/d(input) = `tf.matMul(inputGradientFactors[0], inputGradientFactors[1])`. */
  inputGradientFactors?: [tf.Tensor2D, tf.Tensor2D];
  /** The gradients of `trainable`, in its order. */
  gradients: tf.Tensor[];
}

/** What a layer factory is given besides its config. */
export interface LayerContext {
  /** Width of the layer's input. */
  inputUnits: number;
  /** Where the config sits in the spec, for error messages, e.g. `layers[2]`. */
  path: string;
  /** The seeded generator for initial weights. */
  random: Random;
}

/** Builds a layer from its config; throws `SpecError` for invalid fields. */
export type LayerFactory = (config: LayerConfig, context: LayerContext) => Layer;

/**
 * The names of a layer's `[...trainable, ...state]`: its own `variableNames`, else `trainable[i]` and `state[i]`.
 *
 * @example
 * ```ts
 * import { Random } from "../random.ts";
 * import { Dense } from "./dense.ts";
 * import { variableNames } from "./layer.ts";
 * const layer = new Dense({ type: "dense", units: 3 }, { inputUnits: 2, path: "layers[0]", random: new Random(1) });
 * console.assert(variableNames(layer).join() === "kernel,bias");
 * layer.dispose();
 * ```
 */
export function variableNames(layer: Layer): string[] {
  const count = layer.trainable.length + layer.state.length;
  if (layer.variableNames && layer.variableNames.length === count) return [...layer.variableNames];
  return [...layer.trainable.map((_, i) => `trainable[${i}]`), ...layer.state.map((_, i) => `state[${i}]`)];
}
