/**
 * Pointwise activations, for tensors of any rank, with their hand-written derivatives (checked against finite
 * differences in `layers/dense_test.ts` and `layers/conv2d_test.ts`).
 *
 * @module
 */
import { tf } from "../deps.ts";
import { FUSED } from "../fused/names.ts";
import { runFused } from "../fused/run.ts";

/** An activation: `apply` maps pre-activations to outputs; `backward` maps dL/dy to dL/dz given z and y. */
export interface Activation {
  /** y = f(z), of z's shape (any rank). */
  apply<T extends tf.Tensor>(z: T): T;
  /** dL/dz from dL/dy, the input z and the output y (all of one shape). */
  backward<T extends tf.Tensor>(dy: T, z: T, y: T): T;
}

/** The built-in activations, by name. */
export const ACTIVATIONS: Readonly<Record<string, Activation>> = {
  linear: { apply: (z) => z, backward: (dy) => dy },
  relu: {
    apply: (z) => tf.relu(z),
    backward: <T extends tf.Tensor>(dy: T, z: T, y: T) =>
      (runFused(FUSED.reluGrad, { dy, y })?.[0] ?? tf.mul(dy, tf.step(z))) as T,
  },
  tanh: {
    apply: (z) => tf.tanh(z),
    backward: <T extends tf.Tensor>(dy: T, _z: T, y: T) => tf.mul(dy, tf.sub(1, tf.square(y))) as T,
  },
  sigmoid: {
    apply: (z) => tf.sigmoid(z),
    backward: <T extends tf.Tensor>(dy: T, _z: T, y: T) => tf.mul(dy, tf.mul(y, tf.sub(1, y))) as T,
  },
};

/** The names of the built-in activations. */
export const ACTIVATION_NAMES: readonly string[] = Object.keys(ACTIVATIONS);
