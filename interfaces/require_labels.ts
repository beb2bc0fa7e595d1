/**
 * `requireLabels`: the labels of a step's context, for interfaces that are conditioned on them, with a clear error
 * when the context has none.
 *
 * @module
 */
import type { tf } from "../deps.ts";
import type { StepContext } from "./interface.ts";

/**
 * The step's labels, checked: one-hot `[B, classes]` with `B` the trigger's batch size.
 *
 * Call it first in `send`, `receive` and `synthesize` of an interface that reads the labels (conditioned DNI,
 * random target projection), so that a context without labels fails at once with a message that names the
 * interface, instead of deep inside TF.js.
 *
 * @param context The step's context.
 * @param type The interface's type, for the message.
 * @param rows The trigger's batch size B.
 * @returns `context.labels`.
 * @throws {TypeError} If the context has no labels, or labels that are not `[rows, classes]`.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { requireLabels } from "./require_labels.ts";
 * const labels = tf.oneHot(tf.tensor1d([0, 2], "int32"), 3) as tf.Tensor2D;
 * console.assert(requireLabels({ labels, step: 0 }, "csg", 2) === labels);
 * try {
 *   requireLabels({ step: 0 } as never, "csg", 2);
 * } catch (e) {
 *   console.assert((e as Error).message.startsWith('Interface "csg" needs the labels'));
 * }
 * ```
 */
export function requireLabels(context: StepContext, type: string, rows: number): tf.Tensor2D {
  const labels = (context as Partial<StepContext>).labels;
  if (labels === undefined || labels === null) {
    throw new TypeError(
      `Interface "${type}" needs the labels (context.labels, one-hot [B, classes]), but the step context has none: ` +
        `it is conditioned on them and can only be used where labels are given`,
    );
  }
  if (typeof labels !== "object" || labels.rank !== 2 || labels.shape[0] !== rows) {
    throw new TypeError(
      `Interface "${type}" needs the labels as a one-hot tensor [${rows}, classes], got ${
        typeof labels === "object" && Array.isArray(labels.shape) ? `shape [${labels.shape}]` : String(labels)
      }`,
    );
  }
  return labels;
}
