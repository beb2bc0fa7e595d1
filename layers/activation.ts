/**
 * Pointwise activations with their hand-written derivatives (checked against finite differences in
 * `layers/dense_test.ts`).
 *
 * @module
 */
import { tf } from "../deps.ts";

/** An activation: `apply` maps pre-activations to outputs; `backward` maps dL/dy to dL/dz given z and y. */
export interface Activation {
  /** y = f(z). */
  apply(z: tf.Tensor2D): tf.Tensor2D;
  /** dL/dz from dL/dy, the input z and the output y. */
  backward(dy: tf.Tensor2D, z: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D;
}

/** The built-in activations, by name. */
export const ACTIVATIONS: Readonly<Record<string, Activation>> = {
  linear: { apply: (z) => z, backward: (dy) => dy },
  relu: {
    apply: (z) => tf.relu(z),
    backward: (dy, z) => tf.mul(dy, tf.step(z)) as tf.Tensor2D,
  },
  tanh: {
    apply: (z) => tf.tanh(z),
    backward: (dy, _z, y) => tf.mul(dy, tf.sub(1, tf.square(y))) as tf.Tensor2D,
  },
  sigmoid: {
    apply: (z) => tf.sigmoid(z),
    backward: (dy, _z, y) => tf.mul(dy, tf.mul(y, tf.sub(1, y))) as tf.Tensor2D,
  },
};

/** The names of the built-in activations. */
export const ACTIVATION_NAMES: readonly string[] = Object.keys(ACTIVATIONS);
