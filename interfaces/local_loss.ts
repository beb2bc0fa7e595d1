/**
 * `local-loss`: decoupled greedy learning (Belilovsky et al. 2019/2020). The bound layer's gradient comes from a
 * small auxiliary classifier on its own output, trained on the batch's labels at the same time: in the forward pass
 * the classifier predicts the classes from the trigger, and the gradient of its softmax cross-entropy with respect
 * to the trigger is the layer's gradient. No message from above is ever needed (`receive` ignores it), so the layers
 * above and below train independently; the auxiliary classifier is the interface's own variables.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { checkObject, positiveNumber } from "../_validate.ts";
import { Dense } from "../layers/dense.ts";
import { type LayerCache, sizeOf } from "../layers/layer.ts";
import type { Optimizer } from "../optimizers/optimizer.ts";
import { optimizerState, setOptimizerState, type TrainingState } from "../optimizers/state.ts";
import { DecouplingBase } from "./base.ts";
import type {
  Diagnosing,
  InterfaceConfig,
  InterfaceContext,
  MessageFree,
  StepContext,
  TrainingStateful,
} from "./interface.ts";
import { requireLabels } from "./require_labels.ts";
import { LossMeter } from "./_loss_meter.ts";
import { fasterOptimizer, hiddenWidths, OWN_MODEL_RATE, ownOptimizer } from "./_own_model.ts";

const FIELDS = ["type", "hidden", "optimizer", "scale"];

/**
 * The `local-loss` interface.
 *
 * @example A layer of 16 units learns from a linear classifier on its own output
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetwork, tf } from "../mod.ts";
 *
 * const net = buildNetwork({
 *   input: [8],
 *   layers: [{ type: "dense", units: 16, activation: "relu", interface: "local-loss" }, { type: "dense", units: 3 }],
 * });
 * const iface = net.interfaces[0]!;
 * assert.ok(iface.decouples);
 * const h = tf.randomNormal([4, 16]), labels = tf.oneHot([0, 1, 2, 0], 3).toFloat() as tf.Tensor2D;
 * const g = iface.synthesize(h, { labels, step: 0 });
 * assert.deepEqual(g.shape, [4, 16]);
 * tf.dispose([h, labels, g]);
 * net.dispose();
 * ```
 */
export class LocalLoss extends DecouplingBase implements Diagnosing, TrainingStateful, MessageFree {
  /** Always `false`: the classifier learns from the labels; the layers above need not compute a message. */
  readonly needsMessage = false as const;
  readonly #layers: Dense[];
  readonly #optimizer: Optimizer;
  readonly #scale: number;
  readonly #loss = new LossMeter();

  /**
   * Assembles the interface; prefer the registry's `local-loss` (`createLocalLoss`), which validates the options.
   *
   * @param layers The auxiliary classifier: hidden layers (ReLU), then a linear layer of one unit per class.
   * @param optimizer The classifier's optimizer.
   * @param config The validated config (what `getConfig` gives).
   */
  constructor(layers: Dense[], optimizer: Optimizer, config: InterfaceConfig) {
    super(config);
    this.#layers = layers;
    this.#optimizer = optimizer;
    this.#scale = (config.scale as number | undefined) ?? 1;
  }

  /** The auxiliary classifier's weights. */
  override get variables(): readonly tf.Variable[] {
    return this.#layers.flatMap((l) => [...l.trainable]);
  }

  /** `classifier.hidden[i].kernel`, ..., `classifier.output.bias`. */
  get variableNames(): readonly string[] {
    return this.#names();
  }

  #names(): string[] {
    const n = this.#layers.length;
    return this.#layers.flatMap((l, i) =>
      l.trainable.map((_, k) => `classifier.${i === n - 1 ? "output" : `hidden[${i}]`}.${k === 0 ? "kernel" : "bias"}`)
    );
  }

  // The classifier's forward and backward pass: the batch-mean loss, its gradient at the trigger and at the weights.
  #pass(trigger: tf.Tensor, labels: tf.Tensor2D, mode: "train" | "probe") {
    const batch = trigger.shape[0]!;
    let h: tf.Tensor = tf.reshape(trigger, [batch, sizeOf(trigger.shape.slice(1))]);
    const caches: LayerCache[] = [];
    for (const layer of this.#layers) {
      const r = layer.forward(h, mode);
      caches.push(r.cache);
      h = r.output;
    }
    const logProbs = tf.logSoftmax(h);
    const loss = tf.neg(tf.div(tf.sum(tf.mul(labels, logProbs)), batch)) as tf.Scalar;
    let g: tf.Tensor = tf.div(tf.sub(tf.exp(logProbs), labels), batch);
    const gradients: tf.Tensor[][] = [];
    for (let j = this.#layers.length - 1; j >= 0; j--) {
      const r = this.#layers[j]!.backward(caches[j], g, true);
      gradients[j] = r.gradients;
      g = r.inputGradient!;
    }
    return { loss, gradients, triggerGradient: tf.reshape(tf.mul(g, this.#scale), trigger.shape) };
  }

  /** The gradient of the classifier's loss at the trigger; the classifier learns from the same pass. */
  override send(trigger: tf.Tensor, context: StepContext): tf.Tensor | null {
    const labels = requireLabels(context, this.type, trigger.shape[0]!);
    const [gradient, loss] = tf.tidy(() => {
      const r = this.#pass(trigger, labels, "train");
      this.#optimizer.apply(this.variables, r.gradients.flat());
      return [r.triggerGradient, r.loss];
    });
    this.#loss.add(loss as tf.Scalar);
    return gradient;
  }

  /** What `send` would answer, without learning. */
  synthesize(trigger: tf.Tensor, context: StepContext): tf.Tensor {
    const labels = requireLabels(context, this.type, trigger.shape[0]!);
    return tf.tidy(() => this.#pass(trigger, labels, "probe").triggerGradient);
  }

  /** The classifier's mean loss since the last call (`localLoss`). */
  diagnostics(): Record<string, number> {
    return { localLoss: this.#loss.take() };
  }

  /** The classifier's optimizer slots and step count. */
  getTrainingState(): TrainingState {
    return optimizerState(this.#optimizer, this.variables, this.#names(), "optimizer");
  }

  /** Restores what `getTrainingState` gave. */
  setTrainingState(state: TrainingState): void {
    setOptimizerState(this.#optimizer, this.variables, this.#names(), "optimizer", state);
  }

  /** Frees the classifier and its optimizer's state. */
  override dispose(): void {
    for (const layer of this.#layers) layer.dispose();
    this.#optimizer.dispose();
    this.#loss.dispose();
  }
}

/**
 * The registry factory of `local-loss`. Options: `hidden` (ReLU widths of the classifier, default `[]`: linear),
 * `optimizer` (default the network's at 3x its learning rate), `scale` (factor on the gradient, default 1).
 *
 * @throws {SpecError} For an unknown option or a bad value, naming it.
 */
export function createLocalLoss(raw: InterfaceConfig, context: InterfaceContext): LocalLoss {
  const { path } = context;
  const c = checkObject(path, raw, FIELDS);
  const widths = hiddenWidths(path, c.hidden);
  const optimizer = ownOptimizer(path, c.optimizer ?? fasterOptimizer(context.optimizer, OWN_MODEL_RATE), context);
  const factory = context.optimizers.get(optimizer.type);
  const config: InterfaceConfig = {
    type: "local-loss",
    hidden: widths,
    optimizer,
    scale: positiveNumber(`${path}.scale`, c.scale, 1),
  };
  const layers: Dense[] = [];
  let width = context.units;
  for (const [i, units] of [...widths, context.contextUnits].entries()) {
    const last = i === widths.length;
    layers.push(
      new Dense({ type: "dense", units, activation: last ? "linear" : "relu" }, {
        inputShape: [width],
        path: `${path}.${last ? "output" : `hidden[${i}]`}`,
        random: context.random,
      }),
    );
    width = units;
  }
  return new LocalLoss(layers, factory.create(optimizer), config);
}
