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
 * import { tf } from "../deps.ts";
 * import { Backprop } from "./backprop.ts";
 * const iface = new Backprop();
 * const message = tf.ones([2, 3]) as tf.Tensor2D;
 * const context = { labels: tf.zeros([2, 10]) as tf.Tensor2D, step: 0 };
 * console.assert(iface.send(message, context) === undefined);
 * console.assert(iface.receive(message, message, context) === message);
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
