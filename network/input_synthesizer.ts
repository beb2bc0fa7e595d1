/**
 * Forward unlocking, the DNI paper's "complete unlock": an *input synthesizer* I predicts the output h_i of a hidden
 * layer from what the module above it can see, the network's input x (flattened) and, when `conditioned`, the
 * batch's one-hot labels (as cDNI conditions a synthesizer). In a training step the layers above layer i run on the
 * synthetic input Î = I(x) instead of h_i, so they need not wait for the layers below; I regresses (L2, per
 * example, like a synthesizer) onto the real h_i of the same step, a target that nothing flows back through. Its
 * output layer starts at zero, as a synthesizer's does, so the layers above first see Î = 0. Evaluation, `forward`
 * and `predict` use the real h_i, as the paper does at test time.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { bool, checkObject, isRecord } from "../_validate.ts";
import { SpecError } from "../errors.ts";
import type { Diagnosing, InterfaceContext, TrainingStateful } from "../interfaces/interface.ts";
import { Synthesizer } from "../interfaces/synthesizer.ts";
import type { SynthesizerModel } from "../interfaces/synthetic_gradient.ts";
import { hiddenWidths, ownOptimizer } from "../interfaces/_own_model.ts";
import { LossMeter } from "../interfaces/_loss_meter.ts";
import { type Shape, sizeOf } from "../layers/layer.ts";
import type { OptimizerConfig } from "../optimizers/optimizer.ts";
import { emptyState, type TrainingState } from "../optimizers/state.ts";

/** The options of a layer's `forwardUnlock`, all optional (`true` takes every default). */
export interface ForwardUnlockOptions {
  /** Hidden layer widths of the input synthesizer (ReLU); `[]` (default) is a linear map of x. */
  hidden?: number[];
  /** Whether I also reads the batch's one-hot labels. @default {false} */
  conditioned?: boolean;
  /** I's own optimizer, by name or config. @default {the network's optimizer} */
  optimizer?: string | OptimizerConfig;
}

/** The options of a layer's `forwardUnlock` with every default filled in, as `getSpec()` gives them. */
export interface ForwardUnlockConfig {
  /** Hidden layer widths of the input synthesizer (ReLU); `[]` is linear. */
  hidden: number[];
  /** Whether I also reads the batch's one-hot labels. */
  conditioned: boolean;
  /** I's own optimizer. */
  optimizer: OptimizerConfig;
}

/** What I is built from besides its options. */
export interface InputSynthesizerContext extends Pick<InterfaceContext, "random" | "optimizer" | "optimizers"> {
  /** Shape of the output of the unlocked layer (one example): what I predicts. */
  shape: Shape;
  /** Values per example of the network's input: what I reads. */
  inputUnits: number;
  /** Width of the labels (the number of classes), read when `conditioned`. */
  contextUnits: number;
  /** Where the options sit in the spec, e.g. `layers[0].forwardUnlock`. */
  path: string;
}

const FIELDS = ["hidden", "conditioned", "optimizer"];

/**
 * The input synthesizer of a forward-unlocked layer.
 *
 * @example Layer 0 of a 4-8-3 network unlocked: the layer above first sees zeros
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetwork, tf } from "../mod.ts";
 *
 * const net = buildNetwork({
 *   input: [4],
 *   layers: [
 *     { type: "dense", units: 8, activation: "relu", interface: "sg", forwardUnlock: true },
 *     { type: "dense", units: 3 },
 *   ],
 * });
 * const unlock = net.inputSynthesizers[0]!;
 * assert.deepEqual(unlock.getConfig().hidden, []); // linear, the defaults filled in
 * tf.tidy(() => {
 *   const x = tf.ones([2, 4]);
 *   const labels = tf.oneHot(tf.tensor1d([0, 2], "int32"), 3).toFloat() as tf.Tensor2D;
 *   assert.ok(unlock.predict(x, labels).dataSync().every((v) => v === 0)); // zero-initialised output
 *   net.trainStep(x, labels); // layer 1 trains on I(x), and I regresses onto layer 0's output
 *   assert.ok(unlock.predict(x, labels).dataSync().some((v) => v !== 0));
 * });
 * assert.ok(unlock.diagnostics().inputSynthesizerLoss! >= 0);
 * net.dispose();
 * ```
 */
export class InputSynthesizer implements Diagnosing, TrainingStateful {
  /** Shape of one example of the prediction: the unlocked layer's output shape. */
  readonly shape: Shape;
  readonly #model: SynthesizerModel;
  readonly #config: ForwardUnlockConfig;
  readonly #loss = new LossMeter();

  /**
   * An input synthesizer around `model`; `createInputSynthesizer` builds one from a layer's `forwardUnlock`.
   *
   * @param model The model from flat x (and labels, when conditioned) to the flat prediction (a test may pass an
   *   oracle).
   * @param config The validated options, defaults filled in (returned by `getConfig`).
   * @param shape What I predicts per example: the unlocked layer's output shape.
   */
  constructor(model: SynthesizerModel, config: ForwardUnlockConfig, shape: Shape) {
    this.#model = model;
    this.#config = config;
    this.shape = [...shape];
  }

  /** I's variables, for saving. */
  get variables(): readonly tf.Variable[] {
    return this.#model.variables;
  }

  /** The names of `variables`, e.g. `output.kernel`. */
  get variableNames(): readonly string[] {
    return this.#model.variableNames ?? this.variables.map((_, i) => `variables[${i}]`);
  }

  /** I's optimizer state (`optimizer...`), for checkpoints. */
  getTrainingState(): TrainingState {
    return this.#model.getTrainingState?.() ?? emptyState();
  }

  /** Restores what `getTrainingState` gave. */
  setTrainingState(state: TrainingState): void {
    this.#model.setTrainingState?.(state);
  }

  /**
   * The training step's synthetic input: predicts the layer's output from the network's input `x` (`[B, ...]`, any
   * shape) and the labels, then regresses I onto the real output `target` (`[B, ...shape]`). Call it inside
   * `tf.tidy`.
   *
   * @returns Î `[B, ...shape]`, the prediction made before the regression step.
   */
  train(x: tf.Tensor, target: tf.Tensor, labels: tf.Tensor2D | undefined): tf.Tensor {
    const batch = x.shape[0]!;
    const pass = this.#model.forward(tf.reshape(x, [batch, -1]), this.#labels(labels), "train");
    this.#loss.add(this.#model.fit(pass, tf.reshape(target, [batch, -1])));
    return tf.reshape(pass.output, [batch, ...this.shape]);
  }

  /** What `train` would give as Î, with no learning and no statistics. */
  predict(x: tf.Tensor, labels: tf.Tensor2D | undefined): tf.Tensor {
    return tf.tidy(() => {
      const pass = this.#model.forward(tf.reshape(x, [x.shape[0]!, -1]), this.#labels(labels), "probe");
      return tf.reshape(pass.output, [x.shape[0]!, ...this.shape]);
    });
  }

  #labels(labels: tf.Tensor2D | undefined): tf.Tensor2D | undefined {
    return this.#config.conditioned ? labels : undefined;
  }

  /** I's mean regression loss since the last call (`inputSynthesizerLoss`). */
  diagnostics(): Record<string, number> {
    return { inputSynthesizerLoss: this.#loss.take() };
  }

  /** The options, defaults filled in (a layer spec's `forwardUnlock`). */
  getConfig(): ForwardUnlockConfig {
    return structuredClone(this.#config);
  }

  /** Frees the weights and the optimizer state. */
  dispose(): void {
    this.#loss.dispose();
    this.#model.dispose();
  }
}

/**
 * Validates a layer's `forwardUnlock` (`true` or an options object) and fills in the defaults.
 *
 * @throws {SpecError} Naming the field and the value.
 */
export function forwardUnlockConfig(
  raw: unknown,
  path: string,
  context: Pick<InterfaceContext, "optimizer" | "optimizers">,
): ForwardUnlockConfig {
  if (raw !== true && !isRecord(raw)) {
    throw new SpecError(path, raw, `must be true, false or an object with options (${FIELDS.join(", ")})`);
  }
  const c = raw === true ? {} : checkObject(path, raw, FIELDS);
  return {
    hidden: hiddenWidths(path, c.hidden),
    conditioned: bool(`${path}.conditioned`, c.conditioned, false),
    optimizer: ownOptimizer(path, c.optimizer, context),
  };
}

/**
 * Builds the input synthesizer that a layer's `forwardUnlock` asks for: an MLP (a linear map by default) from the
 * flat input, and the labels when conditioned, to the layer's flat output, its output layer zero.
 *
 * @throws {SpecError} If the options are invalid or the model would be too large (nothing is left allocated).
 */
export function createInputSynthesizer(raw: unknown, context: InputSynthesizerContext): InputSynthesizer {
  const config = forwardUnlockConfig(raw, context.path, context);
  const model = new Synthesizer({
    shape: [sizeOf(context.shape)],
    inputUnits: context.inputUnits,
    contextUnits: config.conditioned ? context.contextUnits : 0,
    hidden: config.hidden,
    batchNorm: false,
    optimizer: context.optimizers.get(config.optimizer.type).create(config.optimizer),
    random: context.random.fork(),
    path: context.path,
  });
  return new InputSynthesizer(model, config, context.shape);
}
