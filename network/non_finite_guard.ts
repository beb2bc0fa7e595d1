/**
 * The divergence guard of the training step: before an update is applied, it checks that the loss, the gradients
 * and the synthetic gradients it comes from are finite. On a NaN or an infinity it either stops training with a
 * `DivergenceError` naming the value, the layer or interface and the step (`"error"`, the default), or leaves that
 * update out and counts it (`"skip"`).
 *
 * The check costs one sum per tensor and one read per call: the sum of a tensor is finite when all its elements
 * are (a NaN or an infinity makes it NaN or infinite); the native backend does it in one fused kernel (the sum of
 * x * 0, which cannot overflow). About 0.3 ms per step of the MNIST FCN-3 at batch 128 (a
 * step takes about 12 ms on the wasm backend). Only a sum that is not finite leads to the exact,
 * element-by-element look that names the first bad element; a sum that merely overflowed passes.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { DivergenceError, type DivergenceSite } from "../errors.ts";
import { FUSED } from "../fused/names.ts";
import { runFused } from "../fused/run.ts";

/** What to do when a loss, gradient or synthetic gradient is NaN or infinite: stop, or skip that update. */
export type NonFinitePolicy = "error" | "skip";

/** The accepted values of `onNonFinite`. */
export const NON_FINITE_POLICIES: readonly NonFinitePolicy[] = ["error", "skip"];

/**
 * Checks a policy name.
 *
 * @throws {RangeError} If it is not `"error"` or `"skip"`.
 */
export function nonFinitePolicy(value: unknown, name = "onNonFinite"): NonFinitePolicy {
  if (!(NON_FINITE_POLICIES as readonly unknown[]).includes(value)) {
    throw new RangeError(`${name} must be "error" or "skip", got ${JSON.stringify(value) ?? String(value)}`);
  }
  return value as NonFinitePolicy;
}

/**
 * One network's guard: its policy and the number of updates it has skipped.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { NonFiniteGuard } from "./non_finite_guard.ts";
 * const guard = new NonFiniteGuard();
 * guard.policy = "skip";
 * const ok = guard.check([tf.tensor1d([1, NaN])], () => "the gradient", { step: 0 });
 * console.assert(!ok && guard.skipped === 1);
 * ```
 */
export class NonFiniteGuard {
  /** What to do on a NaN or infinity. @default {"error"} */
  policy: NonFinitePolicy = "error";
  #skipped = 0;

  /** Updates left out so far (policy `"skip"`). */
  get skipped(): number {
    return this.#skipped;
  }

  /**
   * Whether every element of `tensors` is finite. If not, throws (policy `"error"`) or counts `updates` skipped
   * updates and returns false (policy `"skip"`).
   *
   * @param tensors The tensors an update is computed from.
   * @param describe Names tensor `i` for the message, e.g. `the weight gradient of layer 2`.
   * @param site The step, layer and interface, for the error.
   * @param updates How many updates are left out when it skips. @default {1}
   * @throws {DivergenceError} Under policy `"error"`, naming the first non-finite element.
   */
  check(tensors: readonly tf.Tensor[], describe: (i: number) => string, site: DivergenceSite, updates = 1): boolean {
    if (tensors.length === 0) return true;
    const total = tf.tidy(() => {
      const fused = runFused(FUSED.nonFinite, Object.fromEntries(tensors.map((t, i) => [`t${i}`, t])));
      if (fused !== undefined) return fused[0]!;
      return tensors.length === 1 ? tf.sum(tensors[0]!) : tf.addN(tensors.map((t) => tf.sum(t)));
    });
    const value = total.dataSync()[0]!;
    total.dispose();
    if (Number.isFinite(value)) return true;
    const bad = firstNonFinite(tensors);
    if (bad === null) return true; // the sum overflowed; every element is finite
    if (this.policy === "skip") {
      this.#skipped += updates;
      return false;
    }
    const what = tensors[bad.tensor]!.size === 1
      ? describe(bad.tensor)
      : `element ${bad.index} of ${describe(bad.tensor)}`;
    throw new DivergenceError(what, bad.value, undefined, undefined, site);
  }

  /** Counts updates left out for a reason found elsewhere (e.g. the layers below a skipped one). */
  skip(updates: number): void {
    this.#skipped += updates;
  }
}

// The first element that is NaN or infinite: which tensor, where, and its value; null when there is none.
function firstNonFinite(tensors: readonly tf.Tensor[]): { tensor: number; index: number; value: number } | null {
  for (let tensor = 0; tensor < tensors.length; tensor++) {
    const values = tensors[tensor]!.dataSync();
    const index = firstNonFiniteIndex(values);
    if (index >= 0) return { tensor, index, value: values[index]! };
  }
  return null;
}

/** The index of the first NaN or infinite value, or -1. */
export function firstNonFiniteIndex(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return i;
  return -1;
}
