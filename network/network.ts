/**
 * The network: layers, the interfaces bound to their outputs, a loss and one optimizer per layer, with the
 * training step that lets each interface decide which gradient reaches its layer, and when.
 *
 * @module
 */
import { tf } from "../deps.ts";
import {
  type CoupledInterface,
  type DecouplingInterface,
  needsMessage,
  type NeuralInterface,
  type StepContext,
} from "../interfaces/interface.ts";
import { type Layer, type LayerCache, type Shape, sizeOf } from "../layers/layer.ts";
import type { Loss } from "../losses/loss.ts";
import type { Optimizer, OptimizerConfig } from "../optimizers/optimizer.ts";
import { NonFiniteGuard, type NonFinitePolicy, nonFinitePolicy } from "./non_finite_guard.ts";
import type { NetworkSpec } from "./spec.ts";
import { checkBatch, checkGradient, checkInput, checkParts, describeGradient } from "./_checks.ts";
import type { NetworkParts, Range, RangeOptions, RangeResult, StepResult } from "./step_types.ts";
import { outlineOf, specOf } from "./_outline.ts";
import { backprop } from "./backprop.ts";
import type { InputSynthesizer } from "./input_synthesizer.ts";
import type { StepLossType } from "../losses/step_loss.ts";
import { objective } from "./_objective.ts";
import type { DivergenceSite } from "../errors.ts";
import type { EpochProgress } from "./epoch_progress.ts";
import type { SequenceStream } from "../recurrent/sequence_feed.ts";
import { isRecurrent } from "../recurrent/recurrent_layer.ts";

export type { NetworkParts, RangeOptions, RangeResult, StepResult };

/** A trainable network built from a spec. Build one with `buildNetwork`. */
export class Network {
  /** Layers, input to output. */
  readonly layers: readonly Layer[];
  /** `interfaces[i]` is bound to the output of `layers[i]`. */
  readonly interfaces: readonly NeuralInterface[];
  /**
   * `inputSynthesizers[i]`, where layer `i` is forward-unlocked (`forwardUnlock`): what the layers above it train
   * on instead of its output. Undefined elsewhere.
   */
  readonly inputSynthesizers: readonly (InputSynthesizer | undefined)[];
  /** The first forward-unlocked layer, or undefined: such a network trains only whole, on one thread. */
  readonly forwardUnlocked: number | undefined;
  /** The loss. */
  readonly loss: Loss;
  /** Shape of one input example, e.g. `[28, 28, 1]`. */
  readonly inputShape: Shape;
  /** Values per input example (a dataset's flat features take the input shape). */
  readonly inputUnits: number;
  /** The URLs of the plugin modules the network's registries had loaded (Workers load them too). */
  readonly plugins: readonly string[];
  /**
   * `"sequence"` for a network over sequences (its first layer is recurrent, `input` is one step's features; it
   * trains in truncation windows, see `trainSequenceBatch`), `"feed-forward"` otherwise.
   */
  readonly kind: "feed-forward" | "sequence";
  /** A sequence network's per-step loss (the sum over a sequence's counted steps, the mean over sequences). */
  readonly stepLoss?: StepLossType;
  /**
   * A sequence network: its task's stream (the task, the text's source, the options, where the stream stands),
   * kept by `train()` after each epoch so that the next call, or a checkpoint, goes on from it. Undefined before
   * training and for feed-forward networks (whose epochs shuffle from the seed).
   */
  stream: SequenceStream | undefined = undefined;
  /**
   * Where training stopped inside epoch `epochs + 1` (a run interrupted there, or checkpointed every N steps), which
   * the next `train()` call from `initialEpoch: epochs` finishes first; undefined at an epoch's end.
   */
  epochProgress: EpochProgress | undefined = undefined;
  readonly #spec: NetworkSpec;
  readonly #optimizers: readonly Optimizer[];
  readonly #layerOptimizers: readonly (OptimizerConfig | undefined)[];
  readonly #guard = new NonFiniteGuard();
  #step = 0;
  #epochs = 0;

  /** Assembles a network from built parts; prefer `buildNetwork(spec)`. */
  constructor(
    {
      spec,
      layers,
      interfaces,
      loss,
      optimizers,
      layerOptimizers = [],
      inputSynthesizers = [],
      plugins = [],
      stepLoss,
    }: NetworkParts,
  ) {
    checkParts(layers, interfaces, optimizers, inputSynthesizers);
    this.#spec = spec;
    this.layers = layers;
    this.interfaces = interfaces;
    this.inputSynthesizers = interfaces.map((_, i) => inputSynthesizers[i]);
    const unlocked = this.inputSynthesizers.findIndex((u) => u !== undefined);
    this.forwardUnlocked = unlocked >= 0 ? unlocked : undefined;
    this.loss = loss;
    this.#optimizers = optimizers;
    this.#layerOptimizers = layerOptimizers;
    this.inputShape = [...layers[0]!.inputShape];
    this.inputUnits = sizeOf(this.inputShape);
    this.plugins = [...plugins];
    this.kind = stepLoss === undefined ? "feed-forward" : "sequence";
    this.stepLoss = stepLoss;
  }

  /** Width of the output (the number of classes for a classifier). */
  get outputUnits(): number {
    return sizeOf(this.layers[this.layers.length - 1]!.outputShape);
  }

  /** How many training steps this network has taken (set back when a checkpoint is loaded). */
  get steps(): number {
    return this.#step;
  }

  set steps(value: number) {
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`steps must be an integer >= 0, got ${value}`);
    this.#step = value;
  }

  /**
   * The number of the last epoch `train()` completed on this network, 0 before the first (set back when a
   * checkpoint is loaded): a resumed run starts at `train(net, data, { initialEpoch: net.epochs })`.
   */
  get epochs(): number {
    return this.#epochs;
  }

  set epochs(value: number) {
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`epochs must be an integer >= 0, got ${value}`);
    this.#epochs = value;
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
   * Whether every element of `tensors` is finite; if not, throws a `DivergenceError` (policy `"error"`) or counts
   * a skipped update and returns false. For the parts of a step outside the layers (a recurrent layer's state).
   */
  checkFinite(tensors: readonly tf.Tensor[], describe: (i: number) => string, site: DivergenceSite): boolean {
    return this.#guard.check(tensors, describe, site);
  }

  /** A batch of inputs, flat `[B, inputUnits]` or `[B, ...inputShape]`, as `[B, ...inputShape]`. */
  shapeInput(x: tf.Tensor): tf.Tensor {
    checkInput(x, this.inputShape);
    return x.rank === this.inputShape.length + 1 ? x : tf.reshape(x, [x.shape[0]!, ...this.inputShape]);
  }

  /**
   * One training step on a batch: forward through every layer; each decoupling interface answers with a gradient
   * at once (its segment of layers updates then), each coupled one waits for the message from above. Above a
   * forward-unlocked layer the layers run on its input synthesizer's prediction (see `inputSynthesizers`), so the
   * loss, the correct count and the message for that layer's interface are those of the synthetic input.
   *
   * @param x Inputs, flat `[B, inputUnits]` or `[B, ...inputShape]`.
   * @param labels One-hot labels [B, outputUnits]: the loss's target and the interfaces' context.
   * @returns The batch loss and the number of correct predictions, both before the update.
   */
  trainStep(x: tf.Tensor, labels: tf.Tensor2D): StepResult {
    if (this.kind === "sequence") {
      throw new Error("A sequence network trains on batches of sequences: use train() or trainSequenceBatch()");
    }
    checkBatch(x, labels, this.inputShape, this.outputUnits);
    const context: StepContext = { labels, step: this.#step++ };
    let loss: tf.Scalar, correct: tf.Scalar;
    try {
      [loss, correct] = tf.tidy(() => {
        const r = this.trainRange(0, this.layers.length - 1, this.shapeInput(x), context);
        return [r.loss!, r.correct!];
      });
    } finally {
      this.release(context.step, 0, this.interfaces.length - 1);
    }
    const result = { loss: loss.dataSync()[0]!, correct: correct.dataSync()[0]! };
    loss.dispose();
    correct.dispose();
    return result;
  }

  /** Tells the decoupling interfaces of layers `lo..hi` that the step is over (`release`). */
  release(step: number, lo: number, hi: number): void {
    for (const iface of this.interfaces.slice(lo, hi + 1)) if (iface.decouples) iface.release(step);
  }

  /**
   * The training step restricted to layers `lo..hi`, for running a network in modules (see `parallel/`):
   * forward from `x` (the input of layer `lo`, `[B, ...layers[lo].inputShape]`), with the same updates as
   * `trainStep`. Above `hi` there is the loss (when `hi` is the output layer) or the interface of layer `hi`, which
   * must decouple (the module's boundary); its message comes later, through `receiveMessage`. Call it inside
   * `tf.tidy`. A network with a forward-unlocked layer trains only as a whole (`lo` 0, `hi` the output layer): its
   * input synthesizers read the network's input.
   *
   * @returns The output of layer `hi`; the loss and correct count when `hi` is the output layer; and, when
   *   `lo > 0`, the message for the interface of layer `lo - 1` (null when this step skipped that update), or the
   *   parts `options.backwardLowest` made of it.
   */
  trainRange(lo: number, hi: number, x: tf.Tensor, context: StepContext, options: RangeOptions = {}): RangeResult {
    const n = this.layers.length;
    if (hi < n - 1 && !this.interfaces[hi]!.decouples) {
      throw new Error(
        `Cannot end a module at layer ${hi}: its interface "${this.interfaces[hi]!.type}" does not decouple ` +
          `(it waits for the message instead of answering in send())`,
      );
    }
    const unlocked = this.forwardUnlocked;
    if (unlocked !== undefined && (lo > 0 || hi < n - 1)) {
      throw new Error(
        `Cannot train layers ${lo}..${hi} apart: layer ${unlocked} is forward-unlocked, and its input synthesizer ` +
          `reads the network's input (train the whole network, with trainStep)`,
      );
    }
    const caches: LayerCache[] = [];
    const triggers: tf.Tensor[] = [];
    const result: RangeResult = { output: x, message: lo > 0 ? null : undefined };
    const range = { lo, caches, triggers, context, result, options };
    let h = x;
    let segmentStart = lo;
    for (let i = lo; i <= hi; i++) {
      const { output, cache } = this.layers[i]!.forward(h, "train");
      caches[i] = cache;
      h = output;
      if (i === n - 1) break;
      triggers[i] = h;
      const iface = this.interfaces[i]!;
      if (!iface.decouples) continue;
      // A gradient now: the segment below updates at once. null: it skips this step's update.
      const gradient = iface.send(h, context);
      if (gradient !== null) {
        checkGradient(gradient, h, i, iface.type, "send");
        if (this.#finiteSynthetic(gradient, i, context.step, i - segmentStart + 1)) {
          this.#backward(segmentStart, i, gradient, range);
        }
      }
      segmentStart = i + 1;
      // Forward unlock: the layers above take the synthetic input Î; the real h is I's target (and the trigger).
      const unlock = this.inputSynthesizers[i];
      if (unlock) h = unlock.train(x, h, context.labels);
    }
    result.output = h;
    if (hi === n - 1) {
      const { loss, gradient, ...measured } = objective(this, h as tf.Tensor2D, context.labels!, options.window);
      Object.assign(result, measured);
      if (this.#guard.check([loss], () => "the loss", { step: context.step }, n - segmentStart)) {
        this.#backward(segmentStart, n - 1, gradient, range);
      }
      result.loss = loss;
    }
    return result;
  }

  /**
   * Applies per-layer gradients (as `shardGradients` returns them) with each layer's optimizer, after the
   * divergence guard has checked them; counts one step unless `countStep` is false (the windows of a batch of
   * sequences counted theirs).
   */
  applyGradients(gradients: tf.Tensor[][], countStep = true): void {
    const step = countStep ? this.#step : this.#step - 1;
    this.layers.forEach((layer, j) => {
      const g = gradients[j] ?? [];
      if (this.#guard.check(g, describeGradient(this.layers[j]!, j), { step, layer: j })) {
        this.#optimizers[j]!.apply(layer.trainable, g);
      }
    });
    if (countStep) this.#step++;
  }

  /** Delivers the message for the decoupling interface of layer `layer` (a module boundary) for `context`'s step. */
  receiveMessage(layer: number, message: tf.Tensor, trigger: tf.Tensor, context: StepContext): void {
    const iface = this.interfaces[layer]!;
    if (!iface.decouples) {
      throw new Error(`Cannot deliver a message to interface "${iface.type}" of layer ${layer}: it does not decouple`);
    }
    iface.receive(message, trigger, context);
  }

  // Backpropagates `gradient` from the output of layer `hi` down to layer `lo`, updating each layer, then
  // delivers the message at the segment's bottom to the decoupling interface below it, or, at the bottom of the
  // range, hands it out as the range's message.
  #backward(lo: number, hi: number, gradient: tf.Tensor, range: Range): void {
    const { caches, triggers, context, result, options } = range;
    const walk = backprop(this.layers, caches, lo, hi, gradient, {
      through: (j, g) => {
        const iface = this.interfaces[j] as CoupledInterface; // inside a segment every interface is coupled
        const passed = iface.backward(g, triggers[j]!, context);
        checkGradient(passed, triggers[j]!, j, iface.type, "backward");
        return passed;
      },
      // Inside a segment the layer below waits for this gradient; at its bottom only an interface that uses it.
      needInput: (j) => j > lo || (j > 0 && needsMessage(this.interfaces[j - 1]!)),
      backward: (j, g) => {
        if (j !== range.lo || j === 0 || options.backwardLowest === undefined) return undefined;
        const { gradients, messageParts } = options.backwardLowest(this.layers[j]!, caches[j], g);
        return { gradients, passed: messageParts[0], parts: messageParts };
      },
      took: (j, { gradients, passed, parts }) => {
        const layer = this.layers[j]!;
        // The gradient passed down is checked where it leaves the segment as a message (or its first part); inside
        // it, a NaN or an infinity in it always reaches the weight gradients of the layer below, which are checked.
        const checked = passed && j === lo ? [...gradients, passed] : gradients;
        if (!this.#guard.check(checked, describeGradient(layer, j), { step: context.step, layer: j })) {
          this.#guard.skip(j - lo); // this layer and the ones below it in the segment keep their weights
          return false;
        }
        if (options.onGradients) options.onGradients(j, gradients);
        else this.#optimizers[j]!.apply(layer.trainable, gradients);
        if (parts) result.messageParts = parts;
      },
    });
    if (!walk.completed) return;
    const g = walk.passed;
    if (lo === range.lo) {
      if (lo > 0 && result.messageParts === undefined) result.message = g ?? null;
    } else if (g !== undefined) (this.interfaces[lo - 1] as DecouplingInterface).receive(g, triggers[lo - 1]!, context);
  }

  // The guard on a synthetic gradient from send(): if it is not finite, its segment of `updates` layers skips it.
  #finiteSynthetic(gradient: tf.Tensor, layer: number, step: number, updates: number): boolean {
    const type = this.interfaces[layer]!.type;
    const what = () => `the synthetic gradient of interface "${type}" of layer ${layer}`;
    return this.#guard.check([gradient], what, { step, layer, interface: type }, updates);
  }

  /**
   * The network's output (before the loss's link, e.g. logits) for inputs (flat `[B, inputUnits]` or
   * `[B, ...inputShape]`), in evaluation mode.
   */
  forward(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() =>
      this.layers.reduce((h, layer) => layer.forward(h, "eval").output, this.shapeInput(x)) as tf.Tensor2D
    );
  }

  /** Predictions (class probabilities for a classifier) for inputs, in evaluation mode. */
  predict(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => this.loss.predict(this.forward(x)));
  }

  /** The network's spec, JSON-able; `buildNetwork(net.getSpec())` builds the same architecture. */
  getSpec(): NetworkSpec {
    return specOf(this.#spec, this.layers, this.interfaces, this.#layerOptimizers, this.inputSynthesizers);
  }

  /**
   * All variables: layer weights, layer state, interface weights, input synthesizer weights, and the weights of the
   * interfaces on recurrent states.
   */
  get variables(): tf.Variable[] {
    return [
      ...this.layers.flatMap((l) => [...l.trainable, ...l.state]),
      ...this.layers.flatMap((l) => isRecurrent(l) ? [...(l.stateInterface?.variables ?? [])] : []),
      ...this.interfaces.flatMap((i) => [...i.variables]),
      ...this.inputSynthesizers.flatMap((u) => u ? [...u.variables] : []),
    ];
  }

  /** A readable outline: one line per layer with its interface. */
  toString(): string {
    return outlineOf(this);
  }

  /** Frees every variable and optimizer state. */
  dispose(): void {
    for (const layer of this.layers) layer.dispose();
    for (const iface of this.interfaces) iface.dispose();
    for (const unlock of this.inputSynthesizers) unlock?.dispose();
    for (const optimizer of this.#optimizers) optimizer.dispose();
  }
}
