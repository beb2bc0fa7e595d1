/**
 * The types a network's training step takes and gives: its parts, the result of a step, the result of a range of
 * layers (for modules run apart).
 *
 * @module
 */
import type { tf } from "../deps.ts";
import type { NeuralInterface, StepContext } from "../interfaces/interface.ts";
import type { Layer, LayerCache } from "../layers/layer.ts";
import type { Loss } from "../losses/loss.ts";
import type { Optimizer, OptimizerConfig } from "../optimizers/optimizer.ts";
import type { NetworkSpec } from "./spec.ts";
import type { InputSynthesizer } from "./input_synthesizer.ts";
import type { StepLossType } from "../losses/step_loss.ts";

/** What one training step measured. */
export interface StepResult {
  /** The batch-mean loss before the update. */
  loss: number;
  /** How many examples of the batch were classified right before the update. */
  correct: number;
}

/** What `trainRange` gives back (tensors owned by the caller's `tf.tidy`). */
export interface RangeResult {
  /** The output of the range's last layer. */
  output: tf.Tensor;
  /** The batch loss, when the range ends at the output layer. */
  loss?: tf.Scalar;
  /**
   * The number of correct predictions, when the range ends at the output layer (a sequence network: counted steps
   * predicted right).
   */
  correct?: tf.Scalar;
  /** A sequence network's window: the counted steps' cross-entropy in bits, summed. */
  bits?: tf.Scalar;
  /** A sequence network's window: the counted steps. */
  counted?: tf.Scalar;
  /** For a range that starts above layer 0: dL/d(input), the message for the interface below; null if skipped
   * or if that interface needs none (`needsMessage`). */
  message?: tf.Tensor | null;
  /** Instead of `message`, when `options.backwardLowest` made them: the parts it made of the message. */
  messageParts?: tf.Tensor[];
}

/**
 * The backward pass of the lowest layer of a range, when a caller computes it its own way: the layer's weight
 * gradients and the message for the layer below, in parts (a pipeline sends `[dz, W^T]` of a dense layer and lets
 * the stage below take the product). The first part is checked by the divergence guard.
 */
export type BackwardLowest = (
  layer: Layer,
  cache: LayerCache,
  outputGradient: tf.Tensor,
) => { gradients: tf.Tensor[]; messageParts: tf.Tensor[] };

/** Options of `Network.trainRange`. */
export interface RangeOptions {
  /** How layer `lo` (> 0) computes its backward pass and the message below (see `BackwardLowest`). */
  backwardLowest?: BackwardLowest;
  /**
   * A sequence network's window: 1 for each row (sequence and step) whose target counts, and the number of
   * sequences the loss is averaged over. Left out: every row counts, as one sequence each.
   */
  window?: { mask: tf.Tensor1D; sequences: number };
  /**
   * When given, each layer's weight gradients go to it instead of to the layer's optimizer (the caller applies
   * them: summed over windows, or averaged over shards). Called inside the range's `tf.tidy`: keep what you hold.
   */
  onGradients?: (layer: number, gradients: tf.Tensor[]) => void;
}

/** The parts a network is assembled from (see `buildNetwork`). */
export interface NetworkParts {
  /** The normalised spec the parts were built from. */
  spec: NetworkSpec;
  /** Layers, input to output. */
  layers: Layer[];
  /** One interface per hidden layer (`layers.length - 1`). */
  interfaces: NeuralInterface[];
  /** The loss. */
  loss: Loss;
  /** One optimizer per layer. */
  optimizers: Optimizer[];
  /** Per layer, the optimizer config when it overrides the network's (for `getSpec`). */
  layerOptimizers?: (OptimizerConfig | undefined)[];
  /** Per hidden layer, its input synthesizer when it is forward-unlocked (its interface must decouple). */
  inputSynthesizers?: (InputSynthesizer | undefined)[];
  /** The URLs of the plugin modules the registries had loaded (see `loadPlugin`). */
  plugins?: readonly string[];
  /** A sequence network's per-step loss (its first layer is recurrent); left out for a feed-forward network. */
  stepLoss?: StepLossType;
}

/** Private to the network: what the backward passes of one `trainRange` share. */
export interface Range {
  /** The range's first layer. */
  lo: number;
  /** Each layer's forward cache. */
  caches: LayerCache[];
  /** Each layer's output. */
  triggers: tf.Tensor[];
  /** The step's context. */
  context: StepContext;
  /** What the range gives back, filled in as it goes. */
  result: RangeResult;
  /** The range's options. */
  options: RangeOptions;
}
