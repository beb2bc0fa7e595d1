/**
 * Bases to extend when writing an interface: they hold the config (`getConfig` gives a copy), have no variables
 * and free nothing, and fix `decouples`. A subclass writes the methods that make it what it is.
 *
 * @module
 */
import type { tf } from "../deps.ts";
import type { CoupledInterface, DecouplingInterface, InterfaceConfig, StepContext } from "./interface.ts";

/**
 * What both bases share: the config (its `type` is the interface's; `getConfig` gives a copy), no variables, nothing
 * to free. Extend `CoupledBase` or `DecouplingBase` rather than this.
 */
export abstract class ConfiguredInterface {
  /** The registered type, from the config. */
  readonly type: string;
  readonly #config: InterfaceConfig;

  /**
   * Keeps a copy of the config.
   *
   * @param config The validated config, with defaults filled in (what `getConfig` returns).
   */
  constructor(config: InterfaceConfig) {
    this.type = config.type;
    this.#config = structuredClone(config);
  }

  /** None; a subclass with weights overrides this. */
  get variables(): readonly tf.Variable[] {
    return [];
  }

  /** A copy of the config. */
  getConfig(): InterfaceConfig {
    return structuredClone(this.#config);
  }

  /** Frees nothing; a subclass with weights overrides this. */
  dispose(): void {}
}

/**
 * A base for interfaces that wait for the message (`decouples: false`): write `backward`.
 *
 * @example A coupled interface that halves the true gradient
 * ```ts
 * import assert from "node:assert/strict";
 * import { CoupledBase, tf } from "../mod.ts";
 *
 * class Half extends CoupledBase {
 *   backward(message: tf.Tensor): tf.Tensor {
 *     return tf.mul(message, 0.5);
 *   }
 * }
 * const iface = new Half({ type: "half" });
 * assert.equal(iface.type, "half");
 * assert.equal(iface.decouples, false);
 * const g = iface.backward(tf.ones([2, 3]));
 * assert.deepEqual([...g.dataSync()], new Array(6).fill(0.5));
 * ```
 */
export abstract class CoupledBase extends ConfiguredInterface implements CoupledInterface {
  /** Always `false`: the layer waits for the message. */
  readonly decouples = false as const;

  /** The gradient the bound layer gets from the message. */
  abstract backward(message: tf.Tensor, trigger: tf.Tensor, context: StepContext): tf.Tensor;
}

/**
 * A base for interfaces that answer in the forward pass (`decouples: true`): write `synthesize` (and, for one that
 * learns or keeps something per step, `send`, `receive` and `release`). By default `send` answers
 * `synthesize`'s gradient, `receive` ignores the message and `release` frees nothing.
 *
 * @example A decoupling interface that always answers zero (the layer below never learns from above)
 * ```ts
 * import assert from "node:assert/strict";
 * import { DecouplingBase, tf } from "../mod.ts";
 *
 * class Zero extends DecouplingBase {
 *   synthesize(trigger: tf.Tensor): tf.Tensor {
 *     return tf.zerosLike(trigger);
 *   }
 * }
 * const iface = new Zero({ type: "zero" });
 * assert.equal(iface.decouples, true);
 * const h = tf.ones([2, 3]);
 * assert.deepEqual(iface.send(h, { step: 0 })!.shape, [2, 3]);
 * ```
 */
export abstract class DecouplingBase extends ConfiguredInterface implements DecouplingInterface {
  /** Always `true`: the layer updates in the forward pass. */
  readonly decouples = true as const;
  /** The gradient `send` gives, without side effects. */
  abstract synthesize(trigger: tf.Tensor, context: StepContext): tf.Tensor;

  /** Answers `synthesize`'s gradient. */
  send(trigger: tf.Tensor, context: StepContext): tf.Tensor | null {
    return this.synthesize(trigger, context);
  }

  /** Ignores the message. */
  receive(_message: tf.Tensor, _trigger: tf.Tensor, _context: StepContext): void {}

  /** Keeps nothing, frees nothing. */
  release(_step: number): void {}
}
