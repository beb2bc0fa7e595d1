/**
 * The layer contract. Layers take and give tensors of shape `[B, ...shape]` and compute their own backward pass by
 * hand (no autodiff tape): that keeps the gradient on the fast kernels of the wasm backend, and lets a neural
 * interface decide which gradient reaches each layer, and when. Each layer infers its output shape from its input
 * shape when it is built, so a spec that does not fit fails at build time, naming the layer and the shapes.
 *
 * @module
 */
import type { tf } from "../deps.ts";
import type { Random } from "../random.ts";

/** The shape of one example, without the batch axis, e.g. `[784]` or `[28, 28, 1]` (height, width, channels). */
export type Shape = readonly number[];

/**
 * How a forward pass runs: `train` uses batch statistics and updates running ones, `eval` uses running
 * statistics, `probe` uses batch statistics without updating anything (for measurements that must not change
 * training).
 */
export type ForwardMode = "train" | "eval" | "probe";

/** What a layer's forward pass keeps for its backward pass. Opaque to everyone but the layer. */
export type LayerCache = unknown;

/** A layer's spec fields, as in the network spec (without `interface` and `optimizer`, which the network owns). */
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
  /** Shape of one input example, e.g. `[28, 28, 1]`. */
  readonly inputShape: Shape;
  /** Shape of one output example (the trigger its interface sees), inferred from `inputShape` when built. */
  readonly outputShape: Shape;
  /** Trainable variables, in the order `backward` returns their gradients; empty for pooling and flatten. */
  readonly trainable: readonly tf.Variable[];
  /** Non-trainable state (e.g. running statistics), saved with the weights. */
  readonly state: readonly tf.Variable[];
  /** Optional: names of `[...trainable, ...state]` for checkpoints, e.g. `kernel`; see `variableNames`. */
  readonly variableNames?: readonly string[];
  /** Optional: multiply-adds per example of the forward pass, to balance pipeline stages. */
  readonly multiplyAdds?: number;
  /** Computes the output `[B, ...outputShape]` for a batch `x` of shape `[B, ...inputShape]`. */
  forward(x: tf.Tensor, mode: ForwardMode): { output: tf.Tensor; cache: LayerCache };
  /**
   * From dL/d(output), computes the gradients of `trainable` and, when `needInputGradient`, dL/d(input).
   * Does not change any variable.
   */
  backward(cache: LayerCache, outputGradient: tf.Tensor, needInputGradient: boolean): LayerGradients;
  /** The layer's spec, JSON-able, enough to build it again. */
  getConfig(): LayerConfig;
  /** Frees the layer's variables. */
  dispose(): void;
}

/** What `Layer.backward` returns. */
export interface LayerGradients {
  /** dL/d(input), `[B, ...inputShape]`, when asked for. */
  inputGradient?: tf.Tensor;
  /** The gradients of `trainable`, in its order. */
  gradients: tf.Tensor[];
}

/** What a layer factory is given besides its config. */
export interface LayerContext {
  /** Shape of the layer's input (one example). */
  inputShape: Shape;
  /** Where the config sits in the spec, for error messages, e.g. `layers[2]`. */
  path: string;
  /** The seeded generator for initial weights. */
  random: Random;
}

/** Builds a layer from its config; throws `SpecError` for invalid fields or an input shape it cannot take. */
export type LayerFactory = (config: LayerConfig, context: LayerContext) => Layer;

/**
 * The number of values in one example of `shape`.
 *
 * @example
 * ```ts
 * import { sizeOf } from "./layer.ts";
 * console.assert(sizeOf([28, 28, 1]) === 784);
 * ```
 */
export function sizeOf(shape: Shape): number {
  return shape.reduce((n, d) => n * d, 1);
}

/**
 * `[a, b, c]` for messages.
 *
 * @example
 * ```ts
 * import { showShape } from "./layer.ts";
 * console.assert(showShape([28, 28, 1]) === "[28, 28, 1]");
 * ```
 */
export function showShape(shape: readonly unknown[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * The names of a layer's `[...trainable, ...state]`: its own `variableNames`, else `trainable[i]` and `state[i]`.
 *
 * @example
 * ```ts
 * import { Random } from "../random.ts";
 * import { Dense } from "./dense.ts";
 * import { variableNames } from "./layer.ts";
 * const layer = new Dense({ type: "dense", units: 3 }, { inputShape: [2], path: "layers[0]", random: new Random(1) });
 * console.assert(variableNames(layer).join() === "kernel,bias");
 * layer.dispose();
 * ```
 */
export function variableNames(layer: Layer): string[] {
  const count = layer.trainable.length + layer.state.length;
  if (layer.variableNames && layer.variableNames.length === count) return [...layer.variableNames];
  return [...layer.trainable.map((_, i) => `trainable[${i}]`), ...layer.state.map((_, i) => `state[${i}]`)];
}
