/**
 * The neural-interface contract. A neural interface is bound to a layer's output h (the *trigger*) and decides
 * which gradient reaches that layer, and when. Whether it *decouples* is declared, not guessed:
 *
 * - A **coupled** interface (`decouples: false`, e.g. `backprop`) waits for the *message*, dL/dh as the layers above
 *   computed it, and `backward` turns it into the gradient its layer gets: the layer is update- and backward-locked.
 * - A **decoupling** interface (`decouples: true`, e.g. `sg`, `csg`) answers in the forward pass: `send` gives the
 *   gradient at once (a synthetic one), so its layer, and the layers below it down to the next decoupling interface,
 *   update before the layers above have even run (or `null`: no update this step). The message arrives later
 *   through `receive`, to learn from; `release` says that no message will come for a step. A network may be cut at
 *   a decoupling interface into modules that run apart (Workers, later hosts).
 *
 * Optional capabilities are small contracts of their own, checked with `hasDiagnostics`,
 * `hasTrainingState` and `needsMessage`.
 * The step's *context* (labels, step number) is passed explicitly; there is no global state.
 *
 * @module
 */
import type { tf } from "../deps.ts";
import type { OptimizerConfig, OptimizerFactory } from "../optimizers/optimizer.ts";
import type { TrainingState } from "../optimizers/state.ts";
import type { Random } from "../random.ts";
import type { Registry } from "../registry.ts";
import type { Shape } from "../layers/layer.ts";

/** What an interface knows about the current training step. */
export interface StepContext {
  /**
   * The batch's labels, one-hot [B, classes]: the context of conditioned interfaces. The network's training step
   * always sets them; a caller that has none leaves them out. Without labels, an interface that does not read them
   * behaves exactly as with them; one that needs them throws at once, naming itself and the labels
   * (`requireLabels`), instead of failing inside TF.js. The conformance suite checks both.
   */
  readonly labels?: tf.Tensor2D;
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

/** What every interface has. */
export interface InterfaceBase {
  /** The registered type name. */
  readonly type: string;
  /** Whether it answers in the forward pass (`send`), so that a network can be cut there. */
  readonly decouples: boolean;
  /** The interface's own variables (a synthesizer's weights), for saving. Empty for stateless interfaces. */
  readonly variables: readonly tf.Variable[];
  /** Optional: names of `variables` for checkpoints, e.g. `synthesizer.output.kernel` (else `variables[i]`). */
  readonly variableNames?: readonly string[];
  /** The interface's spec, JSON-able, enough to build it again. */
  getConfig(): InterfaceConfig;
  /** Frees the interface's variables and whatever else it holds. */
  dispose(): void;
}

/** An interface that waits for the message: its layer is update- and backward-locked (`backprop`). */
export interface CoupledInterface extends InterfaceBase {
  /** Always `false`. */
  readonly decouples: false;
  /** Backward pass: from the message dL/dh [B, ...shape], the gradient the bound layer gets now (same shape). */
  backward(message: tf.Tensor, trigger: tf.Tensor, context: StepContext): tf.Tensor;
}

/** An interface that answers in the forward pass, so its layer updates at once (`sg`, `csg`). */
export interface DecouplingInterface extends InterfaceBase {
  /** Always `true`. */
  readonly decouples: true;
  /**
   * Forward pass: the trigger h [B, ...shape] exists. Returns the gradient for the bound layer now, dL/dh of the
   * batch-mean loss (same shape as h), or `null` to skip this step's update of the layers below.
   */
  send(trigger: tf.Tensor, context: StepContext): tf.Tensor | null;
  /** Later: the message dL/dh for the step of `context` arrives; the interface learns from it (or ignores it). */
  receive(message: tf.Tensor, trigger: tf.Tensor, context: StepContext): void;
  /** No message will come for `step` (or it has come): frees whatever `send` kept for it. Called after every step. */
  release(step: number): void;
  /** What `send` would answer for this trigger and context, with no side effect (no learning, no random draws). */
  synthesize(trigger: tf.Tensor, context: StepContext): tf.Tensor;
}

/** A neural interface: the strategy that gives a layer its gradient. */
export type NeuralInterface = CoupledInterface | DecouplingInterface;

/** Optional capability: numbers measured since the last call (e.g. the synthesizer's mean loss), then reset. */
export interface Diagnosing {
  /** The numbers since the last call; resets them. */
  diagnostics(): Record<string, number>;
}

/**
 * Optional capability, for checkpoints: what training carries from step to step besides `variables` (a
 * synthesizer's optimizer slots and step count, a random stream), so that training resumes exactly.
 */
export interface TrainingStateful {
  /** The state, as named arrays and counters. */
  getTrainingState(): TrainingState;
  /** Restores what `getTrainingState` gave. */
  setTrainingState(state: TrainingState): void;
}

/**
 * Whether `iface` reports diagnostics.
 *
 * @example
 * ```ts
 * import { Backprop, hasDiagnostics } from "../mod.ts";
 * console.assert(!hasDiagnostics(new Backprop()));
 * ```
 */
export function hasDiagnostics<T extends object>(iface: T): iface is T & Diagnosing {
  return typeof (iface as Partial<Diagnosing>).diagnostics === "function";
}

/**
 * Whether `iface` has training state to save and restore.
 *
 * @example
 * ```ts
 * import { Backprop, hasTrainingState } from "../mod.ts";
 * console.assert(!hasTrainingState(new Backprop()));
 * ```
 */
export function hasTrainingState<T extends object>(iface: T): iface is T & TrainingStateful {
  const s = iface as Partial<TrainingStateful>;
  return typeof s.getTrainingState === "function" && typeof s.setTrainingState === "function";
}

/**
 * Optional capability of a decoupling interface: `needsMessage: false` declares that `receive` ignores the message
 * (e.g. `local-loss`, which learns from the labels alone), so the layer above does not compute it (no input
 * gradient at a module's bottom) and a pipeline stage sends an empty message instead (its flow control stays).
 */
export interface MessageFree {
  /** Always `false`. */
  readonly needsMessage: false;
}

/**
 * Whether a message from above is useful to `iface`: false only for a decoupling interface that declares
 * `needsMessage: false` (`MessageFree`).
 *
 * @example
 * ```ts
 * import { Backprop } from "../mod.ts";
 * import { needsMessage } from "./interface.ts";
 * console.assert(needsMessage(new Backprop()));
 * console.assert(!needsMessage({ decouples: true, needsMessage: false }));
 * ```
 */
export function needsMessage(iface: object): boolean {
  const i = iface as { decouples?: unknown; needsMessage?: unknown };
  return !(i.decouples === true && i.needsMessage === false);
}

/** The methods each declared kind of interface has. */
export const INTERFACE_METHODS: {
  readonly decoupling: readonly string[];
  readonly coupled: readonly string[];
} = {
  decoupling: ["send", "receive", "release", "synthesize"],
  coupled: ["backward"],
};

/**
 * What `iface` lacks of the kind it declares: `undefined` when `decouples` is not a boolean, else the names of the
 * missing methods (empty when it has them all).
 *
 * @example
 * ```ts
 * import { Backprop } from "../mod.ts";
 * import { missingMethods } from "./interface.ts";
 * console.assert(missingMethods(new Backprop())!.length === 0);
 * console.assert(missingMethods({ decouples: true, send() {} })!.join() === "receive,release,synthesize");
 * console.assert(missingMethods({}) === undefined);
 * ```
 */
export function missingMethods(iface: object): string[] | undefined {
  const record = iface as Record<string, unknown>;
  if (typeof record.decouples !== "boolean") return undefined;
  const methods = record.decouples ? INTERFACE_METHODS.decoupling : INTERFACE_METHODS.coupled;
  return methods.filter((m) => typeof record[m] !== "function");
}

/** What an interface factory is given besides its config. */
export interface InterfaceContext {
  /** Shape of the trigger (the bound layer's output, one example), e.g. `[256]` or `[28, 28, 16]`. */
  shape: Shape;
  /** Width of a flat trigger: `shape[0]` when `shape` has one axis, else the number of values per example. */
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
