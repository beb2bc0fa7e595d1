/**
 * The neural-interface contract. A neural interface is bound to a layer's output h (the *trigger*) and decides
 * which gradient reaches that layer, and when:
 *
 * - `send` is called in the forward pass, as soon as h exists. An interface that answers with a gradient there
 *   (a synthetic one, as `sg` and `csg` do) lets its layer, and the layers below it down to the next interface
 *   that answered, update at once: they are update- and backward-unlocked. Answering `null` means "no update
 *   this step" for those layers (stochastic updates).
 * - `receive` is called in the backward pass with the *message*: dL/dh as the layers above computed it (the true
 *   gradient, or a bootstrapped one where the layer above was itself updated with a synthetic gradient). An
 *   interface that did not answer in `send` (`backprop`) returns the gradient its layer gets now; one that did
 *   learns from the message and returns nothing.
 *
 * The step's *context* (labels, step number) is passed explicitly; there is no global state.
 *
 * @module
 */
import type { tf } from "../deps.ts";
import type { OptimizerConfig, OptimizerFactory } from "../optimizers/optimizer.ts";
import type { TrainingState } from "../optimizers/state.ts";
import type { Random } from "../random.ts";
import type { Registry } from "../registry.ts";

/** What an interface knows about the current training step. */
export interface StepContext {
  /**
   * The batch's labels, one-hot [B, classes]: the context of conditioned interfaces. The network's training step
   * always sets them. *Without labels* (a context whose `labels` is undefined, as a caller with no labels passes)
   * an interface that does not read them must behave exactly as with them; one that needs them must throw at once
   * with a message that names it and the labels (`requireLabels`), not fail inside TF.js. The conformance suite
   * (`testing/conformance.ts`) checks both.
   */
  readonly labels: tf.Tensor2D;
  /** The number of the step, from 0. */
  readonly step: number;
}

/** An interface's spec: its registered type and its options. */
export interface InterfaceConfig {
  /** The registered interface type, e.g. `"backprop"`, `"sg"`. */
  type: string;
  /** Further options, specific to the type. */
  [option: string]: unknown;
}

/** A neural interface: the strategy that gives a layer its gradient. */
export interface NeuralInterface {
  /** The registered type name. */
  readonly type: string;
  /**
   * Forward pass: the trigger h [B, units] exists. Returns the gradient for the bound layer now (update
   * unlocked), `null` to skip this step's update of the layers below, or `undefined` to wait for the message.
   */
  send(trigger: tf.Tensor2D, context: StepContext): tf.Tensor2D | null | undefined;
  /**
   * Backward pass: the message dL/dh [B, units] arrives. Returns the gradient for the bound layer when `send`
   * returned none; otherwise learns from the message and returns `undefined`.
   */
  receive(message: tf.Tensor2D, trigger: tf.Tensor2D, context: StepContext): tf.Tensor2D | undefined;
  /** The interface's spec, JSON-able, enough to build it again. */
  getConfig(): InterfaceConfig;
  /** The interface's own variables (a synthesizer's weights), for saving. Empty for stateless interfaces. */
  readonly variables: readonly tf.Variable[];
  /** Frees the interface's variables and optimizer state. */
  dispose(): void;
  /**
   * Optional, for interfaces that synthesise: the synthetic gradient `send` would give for this trigger and
   * context, without any side effect (no learning, no statistics). Used to measure it against the true gradient.
   */
  synthesize?(trigger: tf.Tensor2D, context: StepContext): tf.Tensor2D;
  /**
   * Optional: no message will arrive for `step` (the layers above skipped their update, or the step ended).
   * Frees whatever `send` kept for that step.
   */
  release?(step: number): void;
  /** Optional: numbers measured since the last call (e.g. the synthesizer's mean loss), then reset. */
  diagnostics?(): Record<string, number>;
  /** Optional: names of `variables` for checkpoints, e.g. `synthesizer.output.kernel` (else `variables[i]`). */
  readonly variableNames?: readonly string[];
  /**
   * Optional, for checkpoints: what training carries from step to step besides `variables` (the synthesizer's
   * optimizer slots and step count, the random stream of stochastic updates), so that training resumes exactly.
   */
  getTrainingState?(): TrainingState;
  /** Optional: restores what `getTrainingState` gave. */
  setTrainingState?(state: TrainingState): void;
}

/** What an interface factory is given besides its config. */
export interface InterfaceContext {
  /** Width of the trigger (the bound layer's output). */
  units: number;
  /** Width of the context (the number of classes, one-hot). */
  contextUnits: number;
  /** Where the config sits in the spec, for error messages, e.g. `layers[1].interface`. */
  path: string;
  /** The seeded generator for initial weights and stochastic choices. */
  random: Random;
  /** The network's optimizer config (the default for a synthesizer's own optimizer). */
  optimizer: OptimizerConfig;
  /** The optimizer registry, to build an interface's own optimizer from a name or config. */
  optimizers: Registry<OptimizerFactory>;
}

/** Builds an interface from its config; throws `SpecError` for invalid options. */
export type InterfaceFactory = (config: InterfaceConfig, context: InterfaceContext) => NeuralInterface;
