/**
 * The recurrent model of sequence training: an RNN *core* (`lstm`) read out at every step by per-step layers
 * (`dense`), with an optional neural interface on the core's recurrent state at each window's end (the DNI paper's
 * RNN setup). It runs one truncation window at a time: `forwardWindow` from the state carried over from the
 * previous window, `backwardWindow` from the window's loss gradient and the gradient arriving at its final state
 * (a synthetic one, or none). Build one with `buildRecurrentModel`; train it with `trainSequenceBatch`.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { DecouplingInterface } from "../interfaces/interface.ts";
import type { Layer, LayerCache } from "../layers/layer.ts";
import type { Lstm, LstmState } from "../layers/lstm.ts";
import type { Dense } from "../layers/dense.ts";
import type { Optimizer } from "../optimizers/optimizer.ts";
import { NonFiniteGuard, type NonFinitePolicy, nonFinitePolicy } from "../network/non_finite_guard.ts";
import type { DivergenceSite } from "../errors.ts";
import type { NetworkSpec } from "../network/spec.ts";
import type { StepLossType } from "./step_loss.ts";

/** The parts `buildRecurrentModel` assembles. */
export interface RecurrentParts {
  /** The validated spec, defaults filled in (what `getSpec` gives back). */
  spec: NetworkSpec;
  /** The recurrent core. */
  core: Lstm;
  /** The per-step layers, core output to logits. */
  readout: Layer[];
  /** The interface on the recurrent state `[h, c]` at a window's end, when it decouples; none: plain truncated BPTT. */
  stateInterface?: DecouplingInterface;
  /** DNI + Aux: a linear head on the window's first hidden state that predicts the window's synthetic gradient. */
  aux?: Dense;
  /** Weight of the auxiliary loss. */
  auxWeight?: number;
  /** The per-step loss. */
  loss: StepLossType;
  /** One optimizer for the core, one per readout layer, then the aux head's. */
  optimizers: Optimizer[];
}

/** What `forwardWindow` gives: the logits of every step and what the backward pass needs. */
export interface WindowForward {
  /** Logits, `[B * time, outputs]`, row `b * time + t`. */
  logits: tf.Tensor2D;
  /** The core's state after the window's last step. */
  state: LstmState;
  /** The trigger of the state interface: `[h, c]` concatenated, `[B, 2 units]`. */
  trigger: tf.Tensor2D;
  /** Sequences in the window. */
  batch: number;
  /** Steps in the window. */
  time: number;
  /** The core's cache. */
  coreCache: LayerCache;
  /** The readout layers' caches and their inputs' triggers. */
  readoutCaches: LayerCache[];
  /** The aux head's cache and prediction (per example, `[B, 2 units]`), when the model has one. */
  aux?: { cache: LayerCache; prediction: tf.Tensor2D };
}

/** What `backwardWindow` gives: gradients for every part, and the gradient at the window's initial state. */
export interface WindowGradients {
  /** `gradients[j]`: the gradients of part j's trainable variables (core, readout layers, aux head). */
  gradients: tf.Tensor[][];
  /** dL/d(initial state), `[h, c]` concatenated `[B, 2 units]`: the message for the previous window's boundary. */
  stateGradient: tf.Tensor2D;
}

/** A recurrent model. */
export class RecurrentModel {
  /** The core. */
  readonly core: Lstm;
  /** The per-step layers. */
  readonly readout: readonly Layer[];
  /** The interface on the recurrent state, if any. */
  readonly stateInterface?: DecouplingInterface;
  /** The DNI + Aux head, if any. */
  readonly aux?: Dense;
  /** The auxiliary loss's weight. */
  readonly auxWeight: number;
  /** The per-step loss. */
  readonly loss: StepLossType;
  /** Input width per step. */
  readonly features: number;
  /** Output width per step. */
  readonly outputs: number;
  readonly #guard: NonFiniteGuard = new NonFiniteGuard();
  readonly #spec: NetworkSpec;
  readonly #optimizers: Optimizer[];
  #steps = 0;
  #windows = 0;

  /** Assembles a model; prefer `buildRecurrentModel(spec)`. */
  constructor(parts: RecurrentParts) {
    this.#spec = parts.spec;
    this.core = parts.core;
    this.readout = parts.readout;
    this.stateInterface = parts.stateInterface;
    this.aux = parts.aux;
    this.auxWeight = parts.auxWeight ?? 1;
    this.loss = parts.loss;
    this.#optimizers = parts.optimizers;
    this.features = parts.core.inputShape[1]!;
    this.outputs = parts.readout[parts.readout.length - 1]!.outputShape[0]!;
  }

  /** Units of the core (the state is `2 units` wide: h and c). */
  get units(): number {
    return this.core.units;
  }

  /** Optimizer updates taken so far (one per window). */
  get steps(): number {
    return this.#steps;
  }

  /**
   * What training does when a loss, gradient or synthetic gradient is NaN or infinite: `"error"` (the default)
   * throws a `DivergenceError` naming it; `"skip"` leaves the update out and counts it in `skippedUpdates`.
   */
  get onNonFinite(): NonFinitePolicy {
    return this.#guard.policy;
  }

  set onNonFinite(policy: NonFinitePolicy) {
    this.#guard.policy = nonFinitePolicy(policy);
  }

  /** Updates left out because of a NaN or infinity (`onNonFinite: "skip"`). */
  get skippedUpdates(): number {
    return this.#guard.skipped;
  }

  /**
   * Whether every element of `tensors` is finite; if not, throws a `DivergenceError` (policy `"error"`) or counts a
   * skipped update and returns false.
   */
  checkFinite(tensors: readonly tf.Tensor[], describe: (i: number) => string, site: DivergenceSite): boolean {
    return this.#guard.check(tensors, describe, site);
  }

  /** A new number for a training window: the `step` of the state interface's context. */
  nextWindow(): number {
    return this.#windows++;
  }

  /** Every part with trainable variables, in the order of `WindowGradients.gradients`. */
  get parts(): Layer[] {
    return [this.core, ...this.readout, ...(this.aux ? [this.aux] : [])];
  }

  /** Every variable: the parts' and the state interface's. */
  get variables(): tf.Variable[] {
    return [
      ...this.parts.flatMap((p) => [...p.trainable, ...p.state]),
      ...(this.stateInterface?.variables ?? []),
    ];
  }

  /**
   * Runs one window `x` `[B, time, features]` from `initial` (zeros when left out). Call inside `tf.tidy`.
   * `mode` `"eval"` leaves out the aux head.
   */
  forwardWindow(x: tf.Tensor3D, initial?: LstmState, mode: "train" | "eval" = "train"): WindowForward {
    const [batch, time] = x.shape;
    const { output, state, cache: coreCache } = this.core.forwardSequence(x, initial);
    let h: tf.Tensor = tf.reshape(output, [batch * time, this.units]);
    const readoutCaches: LayerCache[] = [];
    for (const layer of this.readout) {
      const r = layer.forward(h, mode);
      readoutCaches.push(r.cache);
      h = r.output;
    }
    let aux: WindowForward["aux"];
    if (this.aux && mode === "train") {
      const first = tf.reshape(tf.slice(output, [0, 0, 0], [batch, 1, this.units]), [batch, this.units]);
      const r = this.aux.forward(first, "train");
      aux = { cache: r.cache, prediction: r.output as tf.Tensor2D };
    }
    const trigger = tf.concat([state.h, state.c], 1) as tf.Tensor2D;
    return { logits: h as tf.Tensor2D, state, trigger, batch, time, coreCache, readoutCaches, aux };
  }

  /**
   * Backpropagation through one window: from dL/d(logits) and the gradient arriving at the final state
   * (`[B, 2 units]`, h then c; none at a plain truncation boundary), and, with an aux head, the gradient of the
   * auxiliary loss at its prediction. Call inside `tf.tidy`; changes no variable.
   */
  backwardWindow(
    forward: WindowForward,
    logitGradient: tf.Tensor2D,
    finalStateGradient?: tf.Tensor2D,
    auxGradient?: tf.Tensor2D,
  ): WindowGradients {
    const { batch, time } = forward;
    const gradients: tf.Tensor[][] = [];
    let g: tf.Tensor = logitGradient;
    for (let j = this.readout.length - 1; j >= 0; j--) {
      const r = this.readout[j]!.backward(forward.readoutCaches[j], g, true);
      gradients[j + 1] = r.gradients;
      g = r.inputGradient!;
    }
    let perStep = tf.reshape(g, [batch, time, this.units]) as tf.Tensor3D;
    if (this.aux && forward.aux) {
      const r = this.aux.backward(forward.aux.cache, auxGradient ?? tf.zerosLike(forward.aux.prediction), true);
      gradients[this.readout.length + 1] = r.gradients;
      const first = tf.pad(tf.reshape(r.inputGradient!, [batch, 1, this.units]), [[0, 0], [0, time - 1], [0, 0]]);
      perStep = tf.add(perStep, first) as tf.Tensor3D;
    }
    const final = finalStateGradient ? splitState(finalStateGradient, this.units) : undefined;
    const r = this.core.backwardSequence(forward.coreCache, perStep, final, false);
    gradients[0] = r.gradients;
    return { gradients, stateGradient: tf.concat([r.stateGradient.h, r.stateGradient.c], 1) as tf.Tensor2D };
  }

  /**
   * Applies a window's gradients with each part's optimizer, after the divergence guard has checked them; counts one
   * update. Returns false when the guard (policy `"skip"`) left them out.
   */
  apply(gradients: tf.Tensor[][], step: number): boolean {
    const parts = this.parts;
    const all = gradients.flat();
    const ok = this.#guard.check(all, (k) => `a weight gradient of the recurrent model (tensor ${k})`, { step });
    if (ok) parts.forEach((part, j) => gradients[j] && this.#optimizers[j]!.apply(part.trainable, gradients[j]!));
    this.#steps++;
    return ok;
  }

  /** The spec, JSON-able; `buildRecurrentModel(model.getSpec())` builds the same architecture. */
  getSpec(): NetworkSpec {
    return structuredClone(this.#spec);
  }

  /** One line per part. */
  toString(): string {
    const lines = [
      `  0: ${this.core}  -> state: [${this.stateInterface?.type ?? "truncated"}]${this.aux ? " + aux" : ""}`,
      ...this.readout.map((layer, i) => `  ${i + 1}: ${layer} (per step)`),
    ];
    return `RecurrentModel(input [${this.features}] per step, loss ${this.loss})\n${lines.join("\n")}`;
  }

  /** Frees every variable and optimizer state. */
  dispose(): void {
    for (const part of this.parts) part.dispose();
    this.stateInterface?.dispose();
    for (const optimizer of this.#optimizers) optimizer.dispose();
  }
}

/** `[B, 2 units]` (h then c) as an LSTM state. */
export function splitState(state: tf.Tensor2D, units: number): LstmState {
  const [h, c] = tf.split(state, [units, units], 1) as [tf.Tensor2D, tf.Tensor2D];
  return { h, c };
}
