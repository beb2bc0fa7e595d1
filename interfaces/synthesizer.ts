/**
 * The synthesizer: a small network that predicts the gradient a layer will receive from its trigger (and, when
 * conditioned, from the context, e.g. the one-hot labels). For a flat trigger `[units]` it is an MLP of dense
 * layers; for an image trigger `[H, W, C]` "same" convolutions plus a global path (see `globalUnits`). Its output
 * starts at zero, as in the paper. It learns by L2 regression onto the messages that arrive later.
 *
 * It predicts the *per-example* gradient, B x dL/dh for a batch-mean loss L, so that its targets stay of order
 * one whatever the batch size; the interface divides by B again.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { SpecError } from "../errors.ts";
import { FUSED } from "../fused/names.ts";
import { runFused } from "../fused/run.ts";
import { Conv2D } from "../layers/conv2d.ts";
import { Dense } from "../layers/dense.ts";
import { GlobalPath, type GlobalPathCache } from "./_global_path.ts";
import {
  type ForwardMode,
  type LayerConfig,
  type LayerGradients,
  type Shape,
  showShape,
  variableNames,
} from "../layers/layer.ts";
import type { Optimizer } from "../optimizers/optimizer.ts";
import { optimizerState, setOptimizerState, type TrainingState } from "../optimizers/state.ts";
import type { Random } from "../random.ts";

/** What `forward` keeps for `fit`: tensors of its own (none is the caller's), to dispose when done. */
export interface SynthesizerPass {
  /** The prediction, of the trigger's shape `[B, ...shape]`. */
  output: tf.Tensor;
  /** The layers' caches (the first holds the synthesizer's input), then the global path's. */
  caches: unknown[];
}

/** Settings of a synthesizer. */
export interface SynthesizerOptions {
  /** The trigger's shape per example, and the prediction's: `[units]` (MLP) or `[H, W, C]` (CNN). */
  shape: Shape;
  /**
   * Width of the context (e.g. the number of classes of one-hot labels); 0 for an unconditioned synthesizer. The
   * MLP reads it as extra columns of the trigger; the CNN through its global path (`globalUnits`).
   */
  contextUnits: number;
  /**
   * CNN only: width of the global path added to the convolutions' prediction, `up(down(flatten(h)) + labels(y))`
   * (`up` zero at first): the gradient at a conv layer's output depends on the whole example (through the logits)
   * and its label, which a convolution's neighbourhood cannot see. 0 leaves it out (then no context). @default {32}
   */
  globalUnits?: number;
  /**
   * MLP only: width of what it reads besides the context, when that is not the trigger itself (an input
   * synthesizer reads the network's input and predicts a layer's output). @default {shape[0]}
   */
  inputUnits?: number;
  /** Hidden layers (ReLU): widths of the MLP, or filters of the CNN's convolutions; empty for a linear one. */
  hidden: readonly number[];
  /** Batch normalisation in the hidden layers. */
  batchNorm: boolean;
  /** Kernel size of the CNN's convolutions (padding "same"); unused by the MLP. @default {5} */
  kernelSize?: number;
  /** The synthesizer's own optimizer. */
  optimizer: Optimizer;
  /** Seeded generator for the hidden layers' initial weights. */
  random: Random;
  /** Where the synthesizer's config sits in the spec, for error messages. @default {"synthesizer"} */
  path?: string;
}

type SynthesizerLayer = Dense | Conv2D;

/**
 * A synthesizer with a zero-initialised output layer: an MLP for flat triggers, a CNN for images.
 *
 * @example A convolutional synthesizer conditioned on labels, for a `[14, 14, 16]` trigger
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps.ts";
 * import { Random } from "../random.ts";
 * import { Sgd } from "../optimizers/rules.ts";
 * import { Synthesizer } from "./synthesizer.ts";
 *
 * const synth = new Synthesizer({
 *   shape: [14, 14, 16],
 *   contextUnits: 10, // one-hot labels, read by the global path
 *   hidden: [32],
 *   batchNorm: true,
 *   optimizer: new Sgd(0.1),
 *   random: new Random(0),
 * });
 * assert.equal(synth.layers.map(String).join("; "),
 *   "conv2d([14, 14, 16] -> [14, 14, 32], 5x5, same, bn, relu); conv2d([14, 14, 32] -> [14, 14, 16], 5x5, same, linear)");
 * assert.deepEqual(synth.global!.layers.map(String), [
 *   "dense(3136 -> 32, linear)", // the whole trigger, flattened
 *   "dense(10 -> 32, linear)", // the labels
 *   "dense(32 -> 3136, linear)", // back to [14, 14, 16], zero at first
 * ]);
 * tf.tidy(() => {
 *   const labels = tf.oneHot(tf.tensor1d([3, 7], "int32"), 10).toFloat() as tf.Tensor2D;
 *   const pass = synth.forward(tf.randomNormal([2, 14, 14, 16]), labels, "train");
 *   assert.deepEqual(pass.output.shape, [2, 14, 14, 16]);
 *   assert.ok(pass.output.dataSync().every((v) => v === 0)); // the output starts at zero
 *   synth.fit(pass, tf.randomNormal([2, 14, 14, 16]));
 * });
 * synth.dispose();
 * ```
 */
export class Synthesizer {
  /** Hidden layers then the zero-initialised output layer. */
  readonly layers: readonly SynthesizerLayer[];
  /** The trigger's (and prediction's) shape per example. */
  readonly shape: Shape;
  /** Width of the context; 0 when unconditioned. */
  readonly contextUnits: number;
  /** For an image trigger: the global path, `up(down(flatten(h)) + labels(y))`, added to the prediction. */
  readonly global?: GlobalPath;
  readonly #optimizer: Optimizer;
  readonly #trainable: tf.Variable[];

  /**
   * @param options Shape, sizes, optimizer and seed.
   * @throws {SpecError} If the shape is neither `[units]` nor `[H, W, C]`, or a layer would be invalid or too
   *   large (nothing is left allocated).
   */
  constructor(
    {
      shape,
      contextUnits,
      inputUnits,
      hidden,
      batchNorm,
      kernelSize = 5,
      globalUnits = 32,
      optimizer,
      random,
      path = "synthesizer",
    }: SynthesizerOptions,
  ) {
    if (shape.length !== 1 && shape.length !== 3) {
      throw new SpecError(
        path,
        [...shape],
        `predicts gradients for triggers of shape [units] (an MLP) or [height, width, channels] (a CNN), got a ` +
          `trigger of shape ${showShape(shape)}: put the interface on a dense, flatten, conv2d or maxPool2d layer`,
      );
    }
    const image = shape.length === 3;
    const channels = shape[shape.length - 1]!;
    const hiddenConfig = (width: number): LayerConfig =>
      image
        ? { type: "conv2d", filters: width, kernelSize, padding: "same", activation: "relu", batchNorm }
        : { type: "dense", units: width, activation: "relu", batchNorm };
    const outputConfig: LayerConfig = image
      ? { type: "conv2d", filters: channels, kernelSize, padding: "same" }
      : { type: "dense", units: channels };
    const make = (config: LayerConfig, inputShape: Shape, at: string): SynthesizerLayer => {
      const context = { inputShape, path: `${path}.${at}`, random: random.fork() };
      return image ? new Conv2D(config, context) : new Dense(config, context);
    };
    const layers: SynthesizerLayer[] = [];
    let inputShape: Shape = image ? shape : [(inputUnits ?? channels) + contextUnits];
    let global: GlobalPath | undefined;
    try {
      hidden.forEach((width, i) => {
        layers.push(make(hiddenConfig(width), inputShape, `hidden[${i}]`));
        inputShape = layers[i]!.outputShape;
      });
      layers.push(make(outputConfig, inputShape, "output"));
      if (image && contextUnits > 0 && globalUnits === 0) {
        throw new SpecError(`${path}.globalUnits`, 0, "must be >= 1 for a conditioned synthesizer of an image trigger");
      }
      if (image && globalUnits > 0) global = new GlobalPath(shape, globalUnits, contextUnits, `${path}.global`, random);
    } catch (error) {
      for (const layer of layers) layer.dispose();
      throw error;
    }
    tf.tidy(() => {
      const output = layers[layers.length - 1]!;
      output.kernel.assign(tf.zerosLike(output.kernel));
      output.bias!.assign(tf.zerosLike(output.bias!));
    });
    this.layers = layers;
    this.global = global;
    this.shape = [...shape];
    this.contextUnits = contextUnits;
    this.#optimizer = optimizer;
    this.#trainable = this.#parts().flatMap((l) => [...l.trainable]);
  }

  // The layers, then the global path's: the order of variables, names and gradients.
  #parts(): SynthesizerLayer[] {
    return [...this.layers, ...(this.global?.layers ?? [])];
  }

  /** All variables (weights and batch-norm state), for saving. */
  get variables(): tf.Variable[] {
    return this.#parts().flatMap((l) => [...l.trainable, ...l.state]);
  }

  /** The names of `variables`: `hidden[0].kernel`, ..., `output.kernel`, `output.bias`, `global.down.kernel`, ... */
  get variableNames(): string[] {
    return this.#parts().flatMap((l, i) => variableNames(l).map((n) => `${this.#name(i)}.${n}`));
  }

  /** The optimizer's state (slots named `optimizer.output.kernel.m`, counter `optimizer.steps`), for checkpoints. */
  getTrainingState(): TrainingState {
    return optimizerState(this.#optimizer, this.#trainable, this.#trainableNames(), "optimizer");
  }

  /** Restores what `getTrainingState` gave. */
  setTrainingState(state: TrainingState): void {
    setOptimizerState(this.#optimizer, this.#trainable, this.#trainableNames(), "optimizer", state);
  }

  // The name of each part: hidden[i], output, global.down, global.labels, global.up.
  #name(i: number): string {
    const globals = this.global?.labels ? ["down", "labels", "up"] : ["down", "up"];
    const n = this.layers.length;
    return i >= n ? `global.${globals[i - n]}` : i === n - 1 ? "output" : `hidden[${i}]`;
  }

  #trainableNames(): string[] {
    return this.#parts().flatMap((l, i) =>
      variableNames(l).slice(0, l.trainable.length).map((n) => `${this.#name(i)}.${n}`)
    );
  }

  /**
   * Predicts the per-example gradient for `trigger` `[B, ...shape]`, conditioned on `labels` `[B, contextUnits]`
   * when `contextUnits` > 0 (the labels are ignored otherwise). The pass holds tensors of its own only, so it can
   * be kept beyond the caller's tf.tidy and disposed when its message has arrived.
   *
   * @throws {RangeError} If a conditioned synthesizer gets no labels, or labels of another width or batch.
   */
  forward(trigger: tf.Tensor, labels: tf.Tensor2D | undefined, mode: ForwardMode): SynthesizerPass {
    const caches: unknown[] = [];
    let h = this.#input(trigger, labels);
    for (const layer of this.layers) {
      const r = layer.forward(h, mode);
      caches.push(r.cache);
      h = r.output;
    }
    if (this.global) {
      const r = this.global.forward(trigger, labels, mode);
      caches.push(r.cache);
      h = tf.tidy(() => tf.add(h, r.output));
    }
    return { output: h, caches };
  }

  #input(trigger: tf.Tensor, labels: tf.Tensor2D | undefined): tf.Tensor {
    if (this.contextUnits === 0) return tf.clone(trigger);
    const batch = trigger.shape[0]!;
    if (labels === undefined || labels.shape[1] !== this.contextUnits || labels.shape[0] !== batch) {
      throw new RangeError(
        `A conditioned synthesizer needs labels [${batch}, ${this.contextUnits}] for a batch of ${batch}, got ` +
          (labels ? showShape(labels.shape) : "none"),
      );
    }
    return this.shape.length === 1 ? tf.concat([trigger, labels], 1) : tf.clone(trigger);
  }

  /**
   * One L2 regression step of the pass's prediction onto `target` times `targetScale` (same shape as the
   * prediction; loss: batch mean of the squared error summed over the other axes, gradient 2 (prediction - target)
   * / B). The target is data: nothing flows back through it.
   *
   * @param targetScale What the target is multiplied by first (the interfaces pass B: dL/dh per example).
   * @returns The loss before the step.
   */
  fit(pass: SynthesizerPass, target: tf.Tensor, targetScale = 1): tf.Scalar {
    const batch = target.shape[0]!;
    const fused = runFused(FUSED.l2Regression, { prediction: pass.output, target }, { targetScale });
    let loss: tf.Scalar, g: tf.Tensor | undefined;
    if (fused !== undefined) [loss, g] = fused as [tf.Scalar, tf.Tensor];
    else {
      const diff = tf.sub(pass.output, targetScale === 1 ? target : tf.mul(target, targetScale));
      loss = tf.div(tf.sum(tf.square(diff)), batch) as tf.Scalar;
      g = tf.mul(diff, 2 / batch);
    }
    const gradients: tf.Tensor[][] = new Array(this.layers.length);
    if (this.global) gradients.push(...this.global.backward(pass.caches[this.layers.length] as GlobalPathCache, g!));
    for (let j = this.layers.length - 1; j >= 0; j--) {
      const r: LayerGradients = this.layers[j]!.backward(pass.caches[j], g!, j > 0);
      gradients[j] = r.gradients;
      g = r.inputGradient;
    }
    this.#optimizer.apply(this.#trainable, gradients.flat());
    return loss;
  }

  /** Frees the weights and the optimizer state. */
  dispose(): void {
    for (const layer of this.#parts()) layer.dispose();
    this.#optimizer.dispose();
  }
}
