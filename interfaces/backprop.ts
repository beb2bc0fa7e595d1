/**
 * The `backprop` interface: the layer waits for the true gradient from the layers above (update- and
 * backward-locked), as in ordinary backpropagation. The default for every hidden layer.
 *
 * @module
 */
import type { tf } from "../deps.ts";
import { checkObject } from "../_validate.ts";
import type { InterfaceConfig, InterfaceContext, NeuralInterface } from "./interface.ts";

/**
 * Passes the message through unchanged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Backprop, type NeuralInterface, tf } from "../mod.ts";
 *
 * const iface: NeuralInterface = new Backprop();
 * const trigger = tf.ones([2, 3]) as tf.Tensor2D;
 * const message = tf.fill([2, 3], 0.5) as tf.Tensor2D;
 * const context = { labels: tf.zeros([2, 10]) as tf.Tensor2D, step: 0 };
 * assert.equal(iface.send(trigger, context), undefined); // no gradient in the forward pass: wait
 * assert.equal(iface.receive(message, trigger, context), message); // the true gradient, unchanged
 * tf.dispose([trigger, message, context.labels]);
 * ```
 */
export class Backprop implements NeuralInterface {
  readonly type = "backprop";
  readonly variables: readonly tf.Variable[] = [];

  send(): undefined {
    return undefined;
  }

  receive(message: tf.Tensor2D): tf.Tensor2D {
    return message;
  }

  getConfig(): InterfaceConfig {
    return { type: "backprop" };
  }

  dispose(): void {}
}

/** The registry factory for `backprop`; it takes no options. */
export function createBackprop(config: InterfaceConfig, { path }: InterfaceContext): Backprop {
  checkObject(path, config, ["type"]);
  return new Backprop();
}
