/**
 * The `lstm` layer: a long short-term memory over a sequence `[B, time, features]`, returning every hidden state
 * `[B, time, units]` (`returnSequences: true`) or the last one `[B, units]` (the default). Gates in Keras's order
 * (input, forget, cell, output): `z_t = x_t W + h_{t-1} U + b`, `i, f, o = sigmoid`, `g = tanh`,
 * `c_t = f c_{t-1} + i g`, `h_t = o tanh(c_t)`, from `h_0 = c_0 = 0`. Kernels start Glorot-uniform, the bias at
 * zero but for the forget gate's, which starts at 1 (Keras's `unitForgetBias`).
 *
 * The backward pass is backpropagation through time, written by hand: one product with the recurrent kernel per
 * step, and the input-kernel products for all steps at once. The tests check it against TF.js autodiff and finite
 * differences. On the native backend each pass over a window is one fused kernel (`layers/_lstm_fused.ts`,
 * `native/kernels_lstm.ts`) computing the same formulas; under a gradient tape, and on other backends, the composite
 * ops run.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { bool, checkObject, positiveInt } from "../_validate.ts";
import { SpecError } from "../errors.ts";
import { checkKernelWeights } from "./dense.ts";
import type { ForwardMode, Layer, LayerCache, LayerConfig, LayerContext, LayerGradients, Shape } from "./layer.ts";
import { showShape } from "./layer.ts";
import { matMulT } from "./_matmul.ts";
import {
  backwardFused,
  forwardFused,
  isFusedCache,
  lstmFusedActive,
  type LstmStepCache,
  stepsOf,
} from "./_lstm_fused.ts";

/** The spec of an `lstm` layer. */
export interface LstmConfig extends LayerConfig {
  /** Always `"lstm"`. */
  type: "lstm";
  /** Hidden units. */
  units: number;
  /** Return every step's hidden state `[time, units]` instead of the last one `[units]`. @default {false} */
  returnSequences?: boolean;
}

/** The fields an `lstm` layer's spec may have. */
export const LSTM_FIELDS = ["type", "units", "returnSequences"] as const;

// What the backward pass needs of one step (the fused pass's cache gives the same, `stepsOf`).
type Step = LstmStepCache;

interface LstmCache {
  x: tf.Tensor3D;
  steps: Step[];
}

/** The recurrent state between two steps: the hidden state `h` and the cell `c`, each `[B, units]`. */
export interface LstmState {
  /** Hidden state, `[B, units]`. */
  h: tf.Tensor2D;
  /** Cell state, `[B, units]`. */
  c: tf.Tensor2D;
}

/** What `Lstm.forwardSequence` returns. */
export interface LstmSequenceOutput {
  /** Every step's hidden state, `[B, time, units]`. */
  output: tf.Tensor3D;
  /** The state after the last step. */
  state: LstmState;
  /** What `backwardSequence` needs. */
  cache: LayerCache;
}

/** What `Lstm.backwardSequence` returns. */
export interface LstmSequenceGradients extends LayerGradients {
  /** dL/d(initial state): the gradient that a window passes back to the one before it. */
  stateGradient: LstmState;
}

/**
 * A long short-term memory layer over `[B, time, features]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps.ts";
 * import { Random } from "../random.ts";
 * import { Lstm } from "./lstm.ts";
 *
 * const lstm = new Lstm({ type: "lstm", units: 4 }, { inputShape: [5, 3], path: "layers[0]", random: new Random(0) });
 * const { output } = lstm.forward(tf.ones([2, 5, 3]), "eval");
 * assert.deepEqual(output.shape, [2, 4]);
 * tf.dispose(output);
 * lstm.dispose();
 * ```
 */
export class Lstm implements Layer {
  readonly type = "lstm";
  /** Hidden units. */
  readonly units: number;
  /** Whether the output is every step's hidden state (else the last one). */
  readonly returnSequences: boolean;
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  readonly multiplyAdds: number;
  /** Input kernel W, `[features, 4 units]`. */
  readonly kernel: tf.Variable;
  /** Recurrent kernel U, `[units, 4 units]`. */
  readonly recurrentKernel: tf.Variable;
  /** Bias b, `[4 units]`. */
  readonly bias: tf.Variable;
  readonly trainable: readonly tf.Variable[];
  readonly state: readonly tf.Variable[] = [];
  readonly variableNames: readonly string[] = ["kernel", "recurrentKernel", "bias"];

  /**
   * @throws {SpecError} If the config has unknown fields or bad values, or the input is not `[time, features]`.
   */
  /**
   * Builds the layer from its config, with weights from the context's seeded generator.
   *
   * @throws {SpecError} If the config has unknown fields or bad values, or the input is not `[time, features]`.
   */
  constructor(config: LayerConfig, { inputShape, path, random }: LayerContext) {
    checkObject(path, config, LSTM_FIELDS, "interface, optimizer");
    if (inputShape.length !== 2) {
      throw new SpecError(
        `${path}.type`,
        config.type,
        `takes a sequence [time, features] per example but would get ${showShape(inputShape)}`,
      );
    }
    const [time, features] = inputShape as [number, number];
    this.units = positiveInt(`${path}.units`, config.units);
    this.returnSequences = bool(`${path}.returnSequences`, config.returnSequences, false);
    const h = this.units;
    for (const [rows, what] of [[features, "input"], [h, "recurrent"]] as const) {
      checkKernelWeights(`${path}.units`, config.units, `${rows} x ${4 * h} ${what} kernel`, rows * 4 * h);
    }
    this.inputShape = [time, features];
    this.outputShape = this.returnSequences ? [time, h] : [h];
    this.multiplyAdds = time * (features + h) * 4 * h;
    const glorot = (rows: number, cols: number) => {
      const limit = Math.sqrt(6 / (rows + cols)), values = new Float32Array(rows * cols);
      for (let k = 0; k < values.length; k++) values[k] = (2 * random.next() - 1) * limit;
      return tf.tidy(() => tf.variable(tf.tensor2d(values, [rows, cols]), true));
    };
    this.kernel = glorot(features, 4 * h);
    this.recurrentKernel = glorot(h, 4 * h);
    const bias = new Float32Array(4 * h);
    bias.fill(1, h, 2 * h); // the forget gate's
    this.bias = tf.tidy(() => tf.variable(tf.tensor1d(bias), true));
    this.trainable = [this.kernel, this.recurrentKernel, this.bias];
  }

  forward(input: tf.Tensor, _mode: ForwardMode): { output: tf.Tensor; cache: LayerCache } {
    const { output, state, cache } = this.forwardSequence(input as tf.Tensor3D);
    if (this.returnSequences) {
      tf.dispose(state.c);
      return { output, cache };
    }
    tf.dispose([output, state.c]);
    return { output: state.h, cache };
  }

  /**
   * Runs the sequence `x` `[B, time, features]` (any length >= 1) from `initial` (zeros when left out), the state
   * carried over from the previous window in truncated BPTT. The caller owns `initial`; the cache refers to it.
   *
   * @returns Every step's hidden state `[B, time, units]`, the final state and the cache for `backwardSequence`.
   */
  forwardSequence(x: tf.Tensor3D, initial?: LstmState): LstmSequenceOutput {
    if (x.rank !== 3 || x.shape[2] !== this.inputShape[1] || x.shape[1] < 1) {
      throw new RangeError(
        `lstm takes a sequence [B, time >= 1, ${this.inputShape[1]}], got ${showShape(x.shape)}`,
      );
    }
    const [batch, time, features] = x.shape;
    const h = this.units;
    // On native: the whole window in one kernel (layers/_lstm_fused.ts), the same formulas.
    if (lstmFusedActive()) return forwardFused(x, this.#weights(), h, initial);
    // x W + b for every step at once: [B, time, 4h].
    const projected = tf.reshape(
      tf.add(tf.matMul(tf.reshape(x, [batch * time, features]), this.kernel as tf.Tensor2D), this.bias),
      [batch, time, 4 * h],
    );
    let hPrev = initial?.h ?? tf.zeros([batch, h]) as tf.Tensor2D;
    let cPrev = initial?.c ?? tf.zeros([batch, h]) as tf.Tensor2D;
    const steps: Step[] = [], outputs: tf.Tensor2D[] = [];
    for (let t = 0; t < time; t++) {
      const z = tf.add(
        tf.reshape(tf.slice(projected, [0, t, 0], [batch, 1, 4 * h]), [batch, 4 * h]),
        tf.matMul(hPrev, this.recurrentKernel as tf.Tensor2D),
      );
      const [zi, zf, zg, zo] = tf.split(z, 4, 1) as tf.Tensor2D[];
      const i = tf.sigmoid(zi!), f = tf.sigmoid(zf!), g = tf.tanh(zg!), o = tf.sigmoid(zo!);
      const c = tf.add(tf.mul(f, cPrev), tf.mul(i, g)) as tf.Tensor2D;
      const tanhC = tf.tanh(c) as tf.Tensor2D;
      const hNext = tf.mul(o, tanhC) as tf.Tensor2D;
      steps.push({ hPrev, cPrev, i, f, g, o, tanhC });
      outputs.push(hNext);
      hPrev = hNext;
      cPrev = c;
    }
    const output = tf.stack(outputs, 1) as tf.Tensor3D;
    return { output, state: { h: hPrev, c: cPrev }, cache: { x, steps } satisfies LstmCache };
  }

  backward(cache: LayerCache, outputGradient: tf.Tensor, needInputGradient: boolean): LayerGradients {
    const { x } = cache as LstmCache;
    const [batch, time] = x.shape;
    let perStep = outputGradient as tf.Tensor3D, final: LstmState | undefined;
    if (!this.returnSequences) {
      // Only the last state reaches the output: its gradient enters as the final state's.
      perStep = tf.zeros([batch, time, this.units]);
      final = { h: outputGradient as tf.Tensor2D, c: tf.zeros([batch, this.units]) };
    }
    const { stateGradient, ...rest } = this.backwardSequence(cache, perStep, final, needInputGradient);
    tf.dispose([stateGradient.h, stateGradient.c]);
    return rest;
  }

  /**
   * Backpropagation through the steps of one `forwardSequence`: from the gradient of every step's hidden state
   * `[B, time, units]` and, at a window's end, the gradient arriving at the final state (the next window's, or a
   * synthetic one), the weight gradients, dL/dx when asked, and dL/d(initial state).
   */
  backwardSequence(
    cache: LayerCache,
    outputGradient: tf.Tensor3D,
    finalStateGradient: LstmState | undefined,
    needInputGradient: boolean,
  ): LstmSequenceGradients {
    if (isFusedCache(cache)) {
      const fused = backwardFused(cache, this.#weights(), outputGradient, finalStateGradient, needInputGradient);
      if (fused !== undefined) return fused;
      cache = { x: cache.x, steps: stepsOf(cache) } satisfies LstmCache;
    }
    const { x, steps } = cache as LstmCache;
    const [batch, time, features] = x.shape;
    const h = this.units;
    const perStep = tf.unstack(outputGradient, 1) as tf.Tensor2D[];
    let dhNext: tf.Tensor2D | undefined = finalStateGradient?.h;
    let dcNext: tf.Tensor2D | undefined = finalStateGradient?.c;
    let dU: tf.Tensor2D | undefined;
    const dz: tf.Tensor2D[] = new Array(time);
    for (let t = time - 1; t >= 0; t--) {
      const { hPrev, cPrev, i, f, g, o, tanhC } = steps[t]!;
      const dh = dhNext === undefined ? perStep[t]! : tf.add(perStep[t]!, dhNext) as tf.Tensor2D;
      const dO = tf.mul(dh, tanhC);
      let dc = tf.mul(tf.mul(dh, o), tf.sub(1, tf.square(tanhC))) as tf.Tensor2D;
      if (dcNext !== undefined) dc = tf.add(dc, dcNext) as tf.Tensor2D;
      const dI = tf.mul(dc, g), dG = tf.mul(dc, i), dF = tf.mul(dc, cPrev);
      dcNext = tf.mul(dc, f) as tf.Tensor2D;
      const step = tf.concat([
        tf.mul(dI, tf.mul(i, tf.sub(1, i))),
        tf.mul(dF, tf.mul(f, tf.sub(1, f))),
        tf.mul(dG, tf.sub(1, tf.square(g))),
        tf.mul(dO, tf.mul(o, tf.sub(1, o))),
      ], 1) as tf.Tensor2D;
      dz[t] = step;
      const u = matMulT(hPrev, step, true, false);
      dU = dU === undefined ? u : tf.add(dU, u) as tf.Tensor2D;
      dhNext = matMulT(step, this.recurrentKernel as tf.Tensor2D, false, true);
    }
    const dZ = tf.reshape(tf.stack(dz, 1), [batch * time, 4 * h]) as tf.Tensor2D;
    const flatX = tf.reshape(x, [batch * time, features]) as tf.Tensor2D;
    const dW = matMulT(flatX, dZ, true, false);
    const db = tf.sum(dZ, 0);
    const inputGradient = needInputGradient
      ? tf.reshape(matMulT(dZ, this.kernel as tf.Tensor2D, false, true), [batch, time, features])
      : undefined;
    return { inputGradient, gradients: [dW, dU!, db], stateGradient: { h: dhNext!, c: dcNext! } };
  }

  #weights() {
    return {
      kernel: this.kernel as tf.Tensor2D,
      recurrentKernel: this.recurrentKernel as tf.Tensor2D,
      bias: this.bias as tf.Tensor1D,
    };
  }

  getConfig(): LstmConfig {
    const config: LstmConfig = { type: "lstm", units: this.units };
    if (this.returnSequences) config.returnSequences = true;
    return config;
  }

  dispose(): void {
    for (const v of this.trainable) v.dispose();
  }

  /** `lstm([time, features] -> [units])`. */
  toString(): string {
    return `lstm(${showShape(this.inputShape)} -> ${showShape(this.outputShape)})`;
  }
}
