// Private: one module step, as a pipeline stage runs it (`_loop.ts`) and as the profiler times it
// (`../simulate/profile_modules.ts`): layers `lo..hi` trained on a batch (forward, backward, updates, synthesizers),
// the lowest layer's message left as two factors where the caller asks and the layer can (`canFactorMessage`); and
// on the other side, the gradient a module's message stands for (the product of its factors, where it came as two).
import { tf } from "../../deps.ts";
import type { StepContext } from "../../interfaces/interface.ts";
import type { Network, RangeOptions, RangeResult } from "../../network/network.ts";
import { canFactorMessage } from "../partition.ts";

/** What a module keeps of a step until the message from the module above comes: its output and the labels. */
export interface Kept {
  trigger: tf.Tensor;
  labels: tf.Tensor2D;
}

// A layer that can leave its input gradient as two factors (see `canFactorMessage`).
type Factoring = { backwardFactored: (c: unknown, g: tf.Tensor) => { gradients: tf.Tensor[]; factors: tf.Tensor[] } };

/**
 * Trains layers `lo..hi` of `network` on `x` (in the caller's `tf.tidy`); `factor`: send the lowest layer's message
 * as its two factors, where that layer can; `window`: a sequence window's mask and sequences.
 */
export function moduleStep(
  network: Network,
  lo: number,
  hi: number,
  x: tf.Tensor,
  context: StepContext,
  options: { factor: boolean; window?: RangeOptions["window"] },
): RangeResult {
  const { factor, window } = options;
  return network.trainRange(lo, hi, x, context, {
    ...(window ? { window } : {}),
    backwardLowest: factor && canFactorMessage(network.layers[lo]!)
      ? (layer, cache, g) => {
        const { gradients, factors } = (layer as unknown as Factoring).backwardFactored(cache, g);
        return { gradients, messageParts: factors };
      }
      : undefined,
  });
}

/** The parts of a step's message for the module below: one, two factors, or none (the step skipped the update). */
export function messageParts(r: RangeResult): tf.Tensor[] {
  return (r.messageParts ?? [r.message ?? undefined]).filter((t) => t !== undefined);
}

/** The gradient a message stands for: `left` itself, or its product with `factor`, shaped as the module's output. */
export function messageGradient(left: tf.Tensor, factor: tf.Tensor | undefined, shape: readonly number[]): tf.Tensor {
  return factor ? tf.reshape(tf.matMul(left as tf.Tensor2D, factor as tf.Tensor2D), [...shape]) : left;
}
