/**
 * A neural-interface plugin written outside the library, as a user would: **direct random target projection**
 * (`drtp`). Each hidden layer gets, in the forward pass, a fixed random projection of the batch's one-hot labels
 * as its gradient: `dL/dh = -(Y B) / batch`, with `B` a random `[classes, units]` matrix drawn once and never
 * trained.
 *
 * It is the direct-feedback-alignment special case of synthetic gradients (Czarnecki et al. 2017) with the output
 * error replaced by the target, which is what the step context already carries (Frenkel et al. 2021 call it DRTP):
 * a conditioned synthesizer (`csg`) whose weights are fixed and random and which ignores the trigger. So it answers
 * in `send`, like `sg`/`csg` (update- and backward-unlocked), learns nothing, and costs one small matrix product.
 *
 * Import from the library's URL in your own folder, e.g.
 * `import { DecouplingBase, requireLabels, SpecError, tf } from "https://raw.githubusercontent.com/OWNER/dni/main/mod.ts";`
 * Register it with `loadPlugin("./drtp.ts", registries)` or the CLI's `--plugin ./drtp.ts`: both call `register`.
 *
 * @module
 */
import { DecouplingBase, type Registries, requireLabels, SpecError, tf } from "../../mod.ts";
import type { InterfaceConfig, InterfaceContext, StepContext } from "../../mod.ts";

/**
 * The `drtp` interface: a fixed random projection of the labels is the bound layer's gradient. It decouples (it
 * answers in `send`), so a pipeline can cut the network at it.
 *
 * @example
 * ```ts
 * import { tf } from "../../mod.ts";
 * import { DirectRandomTargetProjection } from "./drtp.ts";
 * const feedback = tf.tensor2d([[1, 0], [0, 2]]);
 * const iface = new DirectRandomTargetProjection(feedback, 1);
 * const labels = tf.tensor2d([[0, 1], [0, 1]]);
 * const g = iface.send(tf.zeros([2, 2]), { labels, step: 0 }) as tf.Tensor2D;
 * console.assert(g.arraySync()[0]![1] === -1); // -(Y B) / batch
 * tf.dispose([feedback, labels, g]);
 * iface.dispose();
 * ```
 */
export class DirectRandomTargetProjection extends DecouplingBase {
  readonly #feedback: tf.Variable;
  readonly #scale: number;

  /**
   * @param feedback The fixed feedback matrix `B`, [classes, values per example], copied into a non-trainable
   *   variable (the caller still owns `feedback`).
   * @param scale Factor on the gradient.
   */
  constructor(feedback: tf.Tensor2D, scale: number) {
    super({ type: "drtp", scale });
    this.#feedback = tf.variable(feedback, false);
    this.#scale = scale;
  }

  /** `B`, so that saving the network saves it too. */
  override get variables(): readonly tf.Variable[] {
    return [this.#feedback];
  }

  /**
   * dL/dh = -(Y B) / batch, shaped like the trigger, with no side effect. `send` answers it (the base's default),
   * `receive` ignores the message: nothing here learns.
   */
  synthesize(trigger: tf.Tensor, context: StepContext): tf.Tensor {
    const rows = trigger.shape[0]!;
    const labels = requireLabels(context, this.type, rows);
    return tf.tidy(() => tf.reshape(tf.mul(tf.matMul(labels, this.#feedback), -this.#scale / rows), trigger.shape));
  }

  /** Frees `B`. */
  override dispose(): void {
    this.#feedback.dispose();
  }
}

/**
 * The factory to register: checks the options (`scale`, default 1) and draws `B` from the network's seeded
 * generator, uniform with unit variance.
 *
 * @throws {SpecError} For an unknown option or a scale that is not a finite number > 0.
 */
export function createDrtp(
  config: InterfaceConfig,
  { units, contextUnits, path, random }: InterfaceContext,
): DirectRandomTargetProjection {
  for (const key of Object.keys(config)) {
    if (key !== "type" && key !== "scale") {
      throw new SpecError(`${path}.${key}`, config[key], "is not a known field (known: type, scale)");
    }
  }
  const scale = config.scale ?? 1;
  if (typeof scale !== "number" || !Number.isFinite(scale) || scale <= 0) {
    throw new SpecError(`${path}.scale`, scale, "must be a finite number > 0");
  }
  const values = Float32Array.from({ length: contextUnits * units }, () => Math.sqrt(3) * (2 * random.next() - 1));
  const feedback = tf.tensor2d(values, [contextUnits, units]);
  const iface = new DirectRandomTargetProjection(feedback, scale);
  feedback.dispose();
  return iface;
}

/**
 * The plugin module's entry point: `loadPlugin("./drtp.ts", registries)` and the CLI's `--plugin` call it, and so
 * do Workers, so that a spec naming `drtp` trains on them too.
 */
export function register(registries: Registries): void {
  registries.interfaces.register("drtp", createDrtp);
}
