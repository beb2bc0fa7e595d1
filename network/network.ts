/**
 * The network: layers, the interfaces bound to their outputs, a loss and one optimizer per layer, with the
 * training step that lets each interface decide which gradient reaches its layer, and when.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { NeuralInterface, StepContext } from "../interfaces/interface.ts";
import type { Layer, LayerCache } from "../layers/layer.ts";
import type { Loss } from "../losses/loss.ts";
import type { Optimizer, OptimizerConfig } from "../optimizers/optimizer.ts";
import { NonFiniteGuard, type NonFinitePolicy, nonFinitePolicy } from "./non_finite_guard.ts";
import type { LayerSpec, NetworkSpec } from "./spec.ts";
import { checkBatch, checkGradient, checkInput, describeGradient } from "./_checks.ts";
import type { NetworkParts, RangeOptions, RangeResult, StepResult } from "./step_types.ts";

export type { NetworkParts, RangeOptions, RangeResult, StepResult };

/** A trainable network built from a spec. Build one with `buildNetwork`. */
export class Network {
  /** Layers, input to output. */
  readonly layers: readonly Layer[];
  /** `interfaces[i]` is bound to the output of `layers[i]`. */
  readonly interfaces: readonly NeuralInterface[];
  /** The loss. */
  readonly loss: Loss;
  /** Width of one flattened input example. */
  readonly inputUnits: number;
  readonly #spec: NetworkSpec;
  readonly #optimizers: readonly Optimizer[];
  readonly #layerOptimizers: readonly (OptimizerConfig | undefined)[];
  readonly #guard = new NonFiniteGuard();
  #step = 0;

  /** Assembles a network from built parts; prefer `buildNetwork(spec)`. */
  constructor({ spec, layers, interfaces, loss, optimizers, layerOptimizers = [] }: NetworkParts) {
    if (interfaces.length !== layers.length - 1 || optimizers.length !== layers.length) {
      throw new RangeError(
        `Network needs one interface per hidden layer and one optimizer per layer: got ${layers.length} layers, ` +
          `${interfaces.length} interfaces, ${optimizers.length} optimizers`,
      );
    }
    this.#spec = spec;
    this.layers = layers;
    this.interfaces = interfaces;
    this.loss = loss;
    this.#optimizers = optimizers;
    this.#layerOptimizers = layerOptimizers;
    this.inputUnits = layers[0]!.inputUnits;
  }

  /** Width of the output (the number of classes for a classifier). */
  get outputUnits(): number {
    return this.layers[this.layers.length - 1]!.units;
  }

  /** How many training steps this network has taken (set back when a checkpoint is loaded). */
  get steps(): number {
    return this.#step;
  }

  set steps(value: number) {
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`steps must be an integer >= 0, got ${value}`);
    this.#step = value;
  }

  /** One optimizer per layer: `optimizers[j]` updates `layers[j].trainable` (for checkpoints). */
  get optimizers(): readonly Optimizer[] {
    return this.#optimizers;
  }

  /**
   * What a training step does when a loss, gradient or synthetic gradient is NaN or infinite: `"error"` throws a
   * `DivergenceError` naming it, the layer or interface and the step, before any update uses it; `"skip"` leaves
   * out the updates that would use it and counts them in `skippedUpdates`. @default {"error"}
   */
  get onNonFinite(): NonFinitePolicy {
    return this.#guard.policy;
  }

  set onNonFinite(policy: NonFinitePolicy) {
    this.#guard.policy = nonFinitePolicy(policy);
  }

  /** How many layer updates were left out because of a NaN or infinity (`onNonFinite: "skip"`). */
  get skippedUpdates(): number {
    return this.#guard.skipped;
  }

  /**
   * One training step on a batch: forward through every layer; each interface may answer with a gradient at
   * once (its segment of layers updates then) or wait for the message from above.
   *
   * @param x Inputs [B, inputUnits].
   * @param labels One-hot labels [B, outputUnits]: the loss's target and the interfaces' context.
   * @returns The batch loss and the number of correct predictions, both before the update.
   */
  trainStep(x: tf.Tensor2D, labels: tf.Tensor2D): StepResult {
    checkBatch(x, labels, this.inputUnits, this.outputUnits);
    const context: StepContext = { labels, step: this.#step++ };
    let loss: tf.Scalar, correct: tf.Scalar;
    try {
      [loss, correct] = tf.tidy(() => {
        const r = this.trainRange(0, this.layers.length - 1, x, context);
        return [r.loss!, r.correct!];
      });
    } finally {
      for (const iface of this.interfaces) iface.release?.(context.step);
    }
    const result = { loss: loss.dataSync()[0]!, correct: correct.dataSync()[0]! };
    loss.dispose();
    correct.dispose();
    return result;
  }

  /**
   * The training step restricted to layers `lo..hi`, for running a network in modules (see `parallel/`):
   * forward from `x` (the input of layer `lo`), with the same updates as `trainStep`. Above `hi` there is the loss
   * (when `hi` is the output layer) or the interface of layer `hi`, which must answer in `send` (the module's
   * boundary); its message comes later, through `receiveMessage`. Call it inside `tf.tidy`.
   *
   * @returns The output of layer `hi`; the loss and correct count when `hi` is the output layer; and, when
   *   `lo > 0`, the message for the interface of layer `lo - 1` (null when this step skipped that update), or its
   *   factors (with `options.factorMessage`, where layer `lo` gives them).
   */
  trainRange(lo: number, hi: number, x: tf.Tensor2D, context: StepContext, options: RangeOptions = {}): RangeResult {
    const n = this.layers.length;
    const caches: LayerCache[] = [];
    const triggers: tf.Tensor2D[] = [];
    const result: RangeResult = { output: x, message: lo > 0 ? null : undefined };
    let h = x;
    let segmentStart = lo;
    for (let i = lo; i <= hi; i++) {
      const { output, cache } = this.layers[i]!.forward(h, "train");
      caches[i] = cache;
      h = output;
      if (i === n - 1) break;
      triggers[i] = h;
      const gradient = this.interfaces[i]!.send(h, context);
      if (gradient === undefined && i === hi) {
        throw new Error(
          `Cannot end a module at layer ${hi}: its interface "${this.interfaces[hi]!.type}" waits for the message ` +
            `instead of answering in send()`,
        );
      }
      if (gradient !== undefined) {
        // A gradient now: the segment below updates at once. null: it skips this step's update.
        if (gradient !== null) {
          checkGradient(gradient, h, i, this.interfaces[i]!.type, "send");
          if (this.#finiteSynthetic(gradient, i, context.step, i - segmentStart + 1)) {
            this.#backward(segmentStart, i, gradient, caches, triggers, context, lo, result, options);
          }
        }
        segmentStart = i + 1;
      }
    }
    result.output = h;
    if (hi === n - 1) {
      const { loss, gradient } = this.loss.compute(h, context.labels);
      if (this.#guard.check([loss], () => "the loss", { step: context.step }, n - segmentStart)) {
        this.#backward(segmentStart, n - 1, gradient, caches, triggers, context, lo, result, options);
      }
      result.loss = loss;
      result.correct = tf.sum(tf.cast(tf.equal(tf.argMax(h, 1), tf.argMax(context.labels, 1)), "int32"));
    }
    return result;
  }

  /** Applies per-layer gradients (as `shardGradients` returns them) with each layer's optimizer; counts one step. */
  applyGradients(gradients: tf.Tensor[][]): void {
    this.layers.forEach((layer, j) => {
      if (this.#guard.check(gradients[j]!, describeGradient(this.layers[j]!, j), { step: this.#step, layer: j })) {
        this.#optimizers[j]!.apply(layer.trainable, gradients[j]!);
      }
    });
    this.#step++;
  }

  /** Delivers the message for the interface of layer `layer` (a module boundary) for the step of `context`. */
  receiveMessage(layer: number, message: tf.Tensor2D, trigger: tf.Tensor2D, context: StepContext): void {
    this.interfaces[layer]!.receive(message, trigger, context);
  }

  // Backpropagates `gradient` from the output of layer `hi` down to layer `lo`, updating each layer, then
  // delivers the message at the segment's bottom to the interface below it (which answered in `send`), or, at the
  // bottom of the range, hands it out as the range's message.
  #backward(
    lo: number,
    hi: number,
    gradient: tf.Tensor2D,
    caches: LayerCache[],
    triggers: tf.Tensor2D[],
    context: StepContext,
    rangeLo: number,
    result: RangeResult,
    options: RangeOptions,
  ): void {
    let g: tf.Tensor2D | undefined = gradient;
    for (let j = hi; j >= lo; j--) {
      if (j < hi) {
        g = this.interfaces[j]!.receive(g!, triggers[j]!, context);
        if (g === undefined) {
          throw new Error(
            `Interface "${this.interfaces[j]!.type}" of layer ${j} gave no gradient: it returned nothing from ` +
              `both send() and receive()`,
          );
        }
        checkGradient(g, triggers[j]!, j, this.interfaces[j]!.type, "receive");
      }
      const layer = this.layers[j]!;
      const factor = j === rangeLo && j > 0 && options.factorMessage === true;
      const { inputGradient, inputGradientFactors, gradients } = layer.backward(
        caches[j],
        g!,
        factor ? "factors" : j > 0,
      );
      // The gradient passed down is checked where it leaves the segment as a message (or its left factor, when the
      // stage below takes the product); inside it, a NaN or an infinity in it always reaches the weight gradients
      // of the layer below, which are checked.
      const passed = inputGradient ?? inputGradientFactors?.[0];
      const checked = passed && j === lo ? [...gradients, passed] : gradients;
      if (!this.#guard.check(checked, describeGradient(this.layers[j]!, j), { step: context.step, layer: j })) {
        return this.#guard.skip(j - lo); // this layer and the ones below it in the segment keep their weights
      }
      this.#optimizers[j]!.apply(layer.trainable, gradients);
      g = inputGradient;
      if (factor && inputGradientFactors) result.messageFactors = inputGradientFactors;
    }
    if (lo === rangeLo) {
      if (lo > 0 && result.messageFactors === undefined) result.message = g!;
    } else this.interfaces[lo - 1]!.receive(g!, triggers[lo - 1]!, context);
  }

  // The guard on a synthetic gradient from send(): if it is not finite, its segment of `updates` layers skips it.
  #finiteSynthetic(gradient: tf.Tensor, layer: number, step: number, updates: number): boolean {
    const type = this.interfaces[layer]!.type;
    const what = () => `the synthetic gradient of interface "${type}" of layer ${layer}`;
    return this.#guard.check([gradient], what, { step, layer, interface: type }, updates);
  }

  /**
   * The network's output (before the loss's link, e.g. logits) for inputs [B, inputUnits], in evaluation mode.
   */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    checkInput(x, this.inputUnits);
    return tf.tidy(() => this.layers.reduce((h, layer) => layer.forward(h, "eval").output, x));
  }

  /** Predictions (class probabilities for a classifier) for inputs [B, inputUnits], in evaluation mode. */
  predict(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.loss.predict(this.forward(x)));
  }

  /** The network's spec, JSON-able; `buildNetwork(net.getSpec())` builds the same architecture. */
  getSpec(): NetworkSpec {
    const layers: LayerSpec[] = this.layers.map((layer, i) => {
      const spec: LayerSpec = layer.getConfig();
      if (i < this.interfaces.length) spec.interface = this.interfaces[i]!.getConfig();
      const optimizer = this.#layerOptimizers[i];
      if (optimizer) spec.optimizer = optimizer;
      return spec;
    });
    return structuredClone({ ...this.#spec, layers });
  }

  /** All variables: layer weights, layer state, interface weights. */
  get variables(): tf.Variable[] {
    return [
      ...this.layers.flatMap((l) => [...l.trainable, ...l.state]),
      ...this.interfaces.flatMap((i) => [...i.variables]),
    ];
  }

  /** A readable outline: one line per layer with its interface. */
  toString(): string {
    const lines = this.layers.map((layer, i) => {
      const iface = this.interfaces[i];
      return `  ${i}: ${layer}${iface ? `  -> [${iface.type}]` : "  -> loss"}`;
    });
    return `Network(input ${this.inputUnits}, loss ${this.loss.type})\n${lines.join("\n")}`;
  }

  /** Frees every variable and optimizer state. */
  dispose(): void {
    for (const layer of this.layers) layer.dispose();
    for (const iface of this.interfaces) iface.dispose();
    for (const optimizer of this.#optimizers) optimizer.dispose();
  }
}
