/**
 * The `backprop` interface: the layer waits for the true gradient from the layers above (update- and
 * backward-locked), as in ordinary backpropagation. The default for every hidden layer.
 *
 * @module
 */
import type { tf } from "../deps.ts";
import { checkObject } from "../_validate.ts";
import { CoupledBase } from "./base.ts";
import type { InterfaceConfig, InterfaceContext } from "./interface.ts";

/**
 * Passes the message through unchanged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Backprop, type NeuralInterface, tf } from "../mod.ts";
 *
 * const iface: NeuralInterface = new Backprop();
 * assert.equal(iface.decouples, false); // it waits for the message
 * const trigger = tf.ones([2, 3]);
 * const message = tf.fill([2, 3], 0.5);
 * if (!iface.decouples) assert.equal(iface.backward(message, trigger, { step: 0 }), message); // unchanged
 * tf.dispose([trigger, message]);
 * ```
 */
export class Backprop extends CoupledBase {
  /** Makes the interface; it takes no options. */
  constructor() {
    super({ type: "backprop" });
  }

  /** The message, unchanged: the true gradient. */
  backward(message: tf.Tensor): tf.Tensor {
    return message;
  }
}

/** The registry factory for `backprop`; it takes no options. */
export function createBackprop(config: InterfaceConfig, { path }: InterfaceContext): Backprop {
  checkObject(path, config, ["type"]);
  return new Backprop();
}
