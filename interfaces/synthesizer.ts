/**
 * The synthesizer: a small MLP that predicts the gradient a layer will receive from its trigger (and, when
 * conditioned, from the context). Its output layer starts at zero (weights and bias), as in the paper, so the
 * first synthetic gradient is zero. It learns by L2 regression onto the messages that arrive later.
 *
 * It predicts the *per-example* gradient, B x dL/dh for a batch-mean loss L, so that its targets stay of order
 * one whatever the batch size; the interface divides by B again.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { Dense } from "../layers/dense.ts";
import { type ForwardMode, variableNames } from "../layers/layer.ts";
import type { Optimizer } from "../optimizers/optimizer.ts";
import { optimizerState, setOptimizerState, type TrainingState } from "../optimizers/state.ts";
import type { Random } from "../random.ts";

/** What `forward` keeps for `fit`. */
export interface SynthesizerPass {
  /** The prediction [B, units]. */
  output: tf.Tensor2D;
  /** The layers' caches. */
  caches: unknown[];
}

/** Settings of an MLP synthesizer. */
export interface SynthesizerOptions {
  /** Width of the trigger, and of the prediction. */
  units: number;
  /** Width of the context appended to the trigger (0 for unconditioned). */
  contextUnits: number;
  /** Widths of the hidden layers (ReLU); empty for a linear synthesizer. */
  hidden: readonly number[];
  /** Batch normalisation in the hidden layers. */
  batchNorm: boolean;
  /** The synthesizer's own optimizer. */
  optimizer: Optimizer;
  /** Seeded generator for the hidden layers' initial weights. */
  random: Random;
  /** Where the synthesizer's config sits in the spec, for error messages. @default {"synthesizer"} */
  path?: string;
}

/**
 * An MLP synthesizer with a zero-initialised output layer.
 *
 * @example The first prediction is zero
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps.ts";
 * import { Random } from "../random.ts";
 * import { Sgd } from "../optimizers/rules.ts";
 * import { Synthesizer } from "./synthesizer.ts";
 *
 * const synth = new Synthesizer({
 *   units: 4,
 *   contextUnits: 0,
 *   hidden: [],
 *   batchNorm: false,
 *   optimizer: new Sgd(0.1),
 *   random: new Random(0),
 * });
 * const trigger = tf.ones([2, 4]) as tf.Tensor2D;
 * const { output } = synth.forward(trigger, "probe");
 * assert.deepEqual(output.shape, [2, 4]);
 * assert.deepEqual([...output.dataSync()], new Array(8).fill(0)); // the output layer starts at zero
 * tf.dispose([trigger, output]);
 * synth.dispose();
 * ```
 */
export class Synthesizer {
  /** Hidden layers then the zero-initialised output layer. */
  readonly layers: readonly Dense[];
  readonly #optimizer: Optimizer;
  readonly #trainable: tf.Variable[];

  /**
   * @param options Sizes, optimizer and seed.
   * @throws {SpecError} If a layer would be too large (nothing is left allocated).
   */
  constructor({ units, contextUnits, hidden, batchNorm, optimizer, random, path = "synthesizer" }: SynthesizerOptions) {
    const layers: Dense[] = [];
    let inputUnits = units + contextUnits;
    let output: Dense;
    try {
      hidden.forEach((width, i) => {
        layers.push(
          new Dense(
            { type: "dense", units: width, activation: "relu", batchNorm },
            { inputUnits, path: `${path}.hidden[${i}]`, random: random.fork() },
          ),
        );
        inputUnits = width;
      });
      output = new Dense({ type: "dense", units }, { inputUnits, path: `${path}.output`, random: random.fork() });
    } catch (error) {
      for (const layer of layers) layer.dispose();
      throw error;
    }
    tf.tidy(() => {
      output.kernel.assign(tf.zerosLike(output.kernel));
      output.bias!.assign(tf.zerosLike(output.bias!));
    });
    layers.push(output);
    this.layers = layers;
    this.#optimizer = optimizer;
    this.#trainable = layers.flatMap((l) => [...l.trainable]);
  }

  /** All variables (weights and batch-norm state), for saving. */
  get variables(): tf.Variable[] {
    return this.layers.flatMap((l) => [...l.trainable, ...l.state]);
  }

  /** The names of `variables`: `hidden[0].kernel`, ..., `output.kernel`, `output.bias`. */
  get variableNames(): string[] {
    return this.layers.flatMap((l, i) => variableNames(l).map((n) => `${this.#layerName(i)}.${n}`));
  }

  /** The optimizer's state (slots named `optimizer.output.kernel.m`, counter `optimizer.steps`), for checkpoints. */
  getTrainingState(): TrainingState {
    return optimizerState(this.#optimizer, this.#trainable, this.#trainableNames(), "optimizer");
  }

  /** Restores what `getTrainingState` gave. */
  setTrainingState(state: TrainingState): void {
    setOptimizerState(this.#optimizer, this.#trainable, this.#trainableNames(), "optimizer", state);
  }

  #layerName(i: number): string {
    return i === this.layers.length - 1 ? "output" : `hidden[${i}]`;
  }

  #trainableNames(): string[] {
    return this.layers.flatMap((l, i) =>
      variableNames(l).slice(0, l.trainable.length).map((n) => `${this.#layerName(i)}.${n}`)
    );
  }

  /** Predicts the per-example gradient for `input` ([trigger, context] side by side). */
  forward(input: tf.Tensor2D, mode: ForwardMode): SynthesizerPass {
    const caches: unknown[] = [];
    let h = input;
    for (const layer of this.layers) {
      const r = layer.forward(h, mode);
      caches.push(r.cache);
      h = r.output;
    }
    return { output: h, caches };
  }

  /**
   * One L2 regression step of the pass's prediction onto `target` (loss: batch mean of the squared error summed
   * over units, gradient 2 (prediction - target) / B). The target is data: nothing flows back through it.
   *
   * @returns The loss before the step.
   */
  fit(pass: SynthesizerPass, target: tf.Tensor2D): tf.Scalar {
    const diff = tf.sub(pass.output, target);
    const batch = target.shape[0];
    const loss = tf.div(tf.sum(tf.square(diff)), batch) as tf.Scalar;
    let g: tf.Tensor2D | undefined = tf.mul(diff, 2 / batch) as tf.Tensor2D;
    const gradients: tf.Tensor[][] = [];
    for (let j = this.layers.length - 1; j >= 0; j--) {
      const r = this.layers[j]!.backward(pass.caches[j], g!, j > 0);
      gradients[j] = r.gradients;
      g = r.inputGradient;
    }
    this.#optimizer.apply(this.#trainable, gradients.flat());
    return loss;
  }

  /** Frees the weights and the optimizer state. */
  dispose(): void {
    for (const layer of this.layers) layer.dispose();
    this.#optimizer.dispose();
  }
}
