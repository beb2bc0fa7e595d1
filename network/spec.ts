/**
 * The declarative network spec: a JSON-able description that `buildNetwork` turns into a network and that
 * `Network.getSpec()` gives back.
 *
 * @module
 */
import type { InterfaceConfig } from "../interfaces/interface.ts";
import type { LayerConfig } from "../layers/layer.ts";
import type { OptimizerConfig } from "../optimizers/optimizer.ts";
import type { ForwardUnlockOptions } from "./input_synthesizer.ts";

/** One layer of a spec: the layer's own fields plus the interface bound to its output. */
export interface LayerSpec extends LayerConfig {
  /**
   * The neural interface bound to the layer's output, by name (`"backprop"`) or config (`{ "type": "sg" }`).
   * Hidden layers only; `backprop` when left out.
   */
  interface?: string | InterfaceConfig;
  /** This layer's optimizer, by name or config, when it should differ from the network's. */
  optimizer?: string | OptimizerConfig;
  /**
   * Forward unlock (the DNI paper's "complete unlock"), on a hidden layer whose interface decouples: in training the
   * layers above run on an input synthesizer's prediction of this layer's output from the network's input, instead
   * of waiting for it (see `InputSynthesizer`). `true` takes the defaults. @default {false}
   */
  forwardUnlock?: boolean | ForwardUnlockOptions;
  /**
   * A recurrent layer's (`lstm` in a sequence spec) interface on its recurrent state `[h, c]` at each truncation
   * window's end: a decoupling one (`sg`, `csg`, a plugin) predicts the gradient from the windows after it (the DNI
   * paper's RNN setup); `"aux": true` in its config adds the auxiliary task (DNI + Aux). Left out: the gradient
   * stops at the window's end (plain truncated BPTT).
   */
  stateInterface?: string | InterfaceConfig;
}

/**
 * A network spec.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetwork, type NetworkSpec } from "../mod.ts";
 *
 * const spec: NetworkSpec = {
 *   input: [784],
 *   layers: [
 *     { type: "dense", units: 256, activation: "relu", interface: "backprop" },
 *     { type: "dense", units: 10 },
 *   ],
 *   loss: "softmax-cross-entropy",
 *   optimizer: { type: "adam", learningRate: 0.001 },
 * };
 * const net = buildNetwork(spec);
 * assert.deepEqual(net.layers[0]?.outputShape, [256]);
 * net.dispose();
 * ```
 */
export interface NetworkSpec {
  /**
   * Shape of one example: `[784]` for an MLP, `[28, 28, 1]` (height, width, channels) for a conv net. A dataset's
   * flat features take this shape; a `dense` layer needs a flat input (`flatten` first).
   */
  input: number[];
  /** The layers, input to output. The last one is the output layer and has no interface. */
  layers: LayerSpec[];
  /** The loss, by name or `{ type }`. @default {"softmax-cross-entropy"} */
  loss?: string | { type: string };
  /** The optimizer of every layer, by name or config. @default {"adam"} */
  optimizer?: string | OptimizerConfig;
  /** Seed of the initial weights. @default {0} */
  seed?: number;
}

/** The fields a spec may have. */
export const SPEC_FIELDS = ["input", "layers", "loss", "optimizer", "seed"] as const;
