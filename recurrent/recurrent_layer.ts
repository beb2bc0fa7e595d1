/**
 * `RecurrentLayer`: an `lstm` as a layer of a sequence network. It takes and gives one row per sequence and step
 * (`[B * time, features]` in, `[B * time, units]` out, row `b * time + t`), so the layers above it (dense, another
 * lstm) and the interface on its output (backprop, `sg`, `csg`, a plugin) see rows as in any network. The window
 * the rows belong to (sequences, steps) is set by the sequence step before each window (`beginWindow`); the state
 * carries from window to window (and, for text streams, from batch to batch) inside the layer.
 *
 * Its own interface on the recurrent state `[h, c]` at a window's end (`stateInterface`, the DNI paper's RNN
 * setup) answers in the forward pass with dL_future/d(state), which enters the window's backward pass at its final
 * state; the gradient the window then passes back to its initial state is the message for the previous window's
 * boundary. With `aux`, a linear head on the window's first hidden state regresses onto the window's synthetic
 * gradient (DNI + Aux).
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { DecouplingInterface, StepContext } from "../interfaces/interface.ts";
import type { ForwardMode, Layer, LayerCache, LayerGradients, Shape } from "../layers/layer.ts";
import { showShape } from "../layers/layer.ts";
import type { Lstm, LstmState } from "../layers/lstm.ts";
import type { Dense } from "../layers/dense.ts";
import type { LayerSpec } from "../network/spec.ts";
import type { DivergenceSite } from "../errors.ts";

/** Checks tensors for NaN and infinity (the network's divergence guard): false when the update is skipped. */
export type FiniteCheck = (
  tensors: readonly tf.Tensor[],
  describe: (i: number) => string,
  site: DivergenceSite,
) => boolean;

/** The window the next forward pass belongs to. */
export interface WindowInfo {
  /** Sequences in the batch. */
  sequences: number;
  /** Steps in the window. */
  time: number;
  /** Whether a later window (or batch, for streams) follows, whose gradient the state interface predicts. */
  future: boolean;
  /** The state interface's context: the window's step and, when the task has them, one label per sequence. */
  context: StepContext;
  /** The network's divergence guard. */
  check: FiniteCheck;
}

/** The parts of a recurrent layer. */
export interface RecurrentParts {
  /** The core. */
  lstm: Lstm;
  /** The interface on the state at a window's end, when it decouples; none: the gradient stops there. */
  stateInterface?: DecouplingInterface;
  /** DNI + Aux: the head on the first hidden state. */
  aux?: Dense;
  /** The auxiliary loss's weight. @default {1} */
  auxWeight?: number;
}

/** What `RecurrentLayer.hold` takes out of a layer. */
export interface HeldState {
  /** The carried state. */
  carry: tf.Tensor2D | undefined;
  /** The boundary waiting for its message. */
  pending: { trigger: tf.Tensor2D; context: StepContext } | undefined;
}

interface Cache {
  lstm: LayerCache;
  sequences: number;
  time: number;
  synthetic?: tf.Tensor2D;
  aux?: { cache: LayerCache; prediction: tf.Tensor2D };
}

/** Whether a layer is a recurrent layer of a sequence network. */
export function isRecurrent(layer: Layer): layer is RecurrentLayer {
  return layer instanceof RecurrentLayer;
}

/** An lstm as a layer of a sequence network (see the module's documentation). */
export class RecurrentLayer implements Layer {
  /** The registered type name of the core. */
  readonly type = "lstm";
  /** The core. */
  readonly lstm: Lstm;
  /** The interface on the recurrent state at a window's end, if any. */
  readonly stateInterface?: DecouplingInterface;
  /** The DNI + Aux head, if any. */
  readonly aux?: Dense;
  /** The auxiliary loss's weight. */
  readonly auxWeight: number;
  /** `[features]` per step. */
  readonly inputShape: Shape;
  /** `[units]` per step. */
  readonly outputShape: Shape;
  /** The core's variables, then the aux head's. */
  readonly trainable: tf.Variable[];
  /** None. */
  readonly state: tf.Variable[] = [];
  /** `kernel`, `recurrentKernel`, `bias`, then `aux.kernel`, `aux.bias`. */
  readonly variableNames: readonly string[];
  #window: WindowInfo | undefined;
  #carry: tf.Tensor2D | undefined; // [h, c] after the last window
  #final: tf.Tensor2D | undefined; // [h, c] after this window's forward pass
  #pending: { trigger: tf.Tensor2D; context: StepContext } | undefined;

  /** Wraps a core built with `returnSequences: true`. */
  constructor({ lstm, stateInterface, aux, auxWeight = 1 }: RecurrentParts) {
    this.lstm = lstm;
    this.stateInterface = stateInterface;
    this.aux = aux;
    this.auxWeight = auxWeight;
    this.inputShape = [lstm.inputShape[1]!];
    this.outputShape = [lstm.units];
    this.trainable = [...lstm.trainable, ...(aux?.trainable ?? [])];
    this.variableNames = [...lstm.variableNames, ...(aux ? ["aux.kernel", "aux.bias"] : [])];
  }

  /** Hidden units. */
  get units(): number {
    return this.lstm.units;
  }

  /** Multiply-adds per step and sequence of the forward pass. */
  get multiplyAdds(): number {
    return 4 * this.units * (this.inputShape[0]! + this.units);
  }

  /** The state `[h, c]` `[B, 2 units]` carried into the next window, if any (the layer owns it). */
  get carried(): tf.Tensor2D | undefined {
    return this.#carry;
  }

  /** Sets the carried state (the layer takes it over), e.g. from a checkpoint; undefined: zeros. */
  set carried(state: tf.Tensor2D | undefined) {
    if (state !== undefined && (state.rank !== 2 || state.shape[1] !== 2 * this.units)) {
      throw new RangeError(`A carried lstm state must be [B, ${2 * this.units}], got ${showShape(state.shape)}`);
    }
    if (this.#carry !== state) this.#carry?.dispose();
    this.#carry = state;
  }

  /** Sets the window of the next forward pass. */
  beginWindow(window: WindowInfo): void {
    this.#window = window;
  }

  /**
   * Ends a training window: its final state is carried into the next, and its boundary (when the state interface
   * predicted a gradient there) waits for its message from the next window's backward pass.
   */
  endWindow(): void {
    const future = this.#window?.future ?? false;
    this.#releasePending();
    if (this.#final !== undefined) {
      this.carried = this.#final;
      if (this.stateInterface && future) {
        this.#pending = { trigger: this.#final.clone(), context: this.#window!.context };
      }
      this.#final = undefined;
    }
    this.#window = undefined;
  }

  /** Forgets the carried state and any pending boundary (new streams, the end of a batch, an error). */
  resetState(): void {
    this.#releasePending();
    this.#final?.dispose();
    this.#final = undefined;
    this.carried = undefined;
    this.#window = undefined;
  }

  /**
   * Takes the carried state and the pending boundary out of the layer (which then starts from zeros), for a pass
   * that must not disturb training (evaluation, probes); `restore` puts them back.
   */
  hold(): HeldState {
    const held: HeldState = { carry: this.#carry, pending: this.#pending };
    this.#carry = undefined;
    this.#pending = undefined;
    return held;
  }

  /** Puts back what `hold` took, freeing whatever the layer carries now. */
  restore(held: HeldState): void {
    this.resetState();
    this.#carry = held.carry;
    this.#pending = held.pending;
  }

  forward(input: tf.Tensor, mode: ForwardMode): { output: tf.Tensor; cache: LayerCache } {
    const w = this.#window;
    if (w === undefined) {
      throw new Error("A recurrent layer runs inside a sequence window: train or evaluate its network on sequences");
    }
    const { sequences, time } = w;
    const features = this.inputShape[0]!;
    if (input.rank !== 2 || input.shape[0] !== sequences * time || input.shape[1] !== features) {
      throw new RangeError(
        `lstm takes [${sequences} * ${time}, ${features}] rows (sequences x steps), got ${showShape(input.shape)}`,
      );
    }
    const initial = this.#carry ? splitState(this.#carry, this.units) : undefined;
    const f = this.lstm.forwardSequence(tf.reshape(input, [sequences, time, features]), initial);
    const trigger = tf.concat([f.state.h, f.state.c], 1) as tf.Tensor2D;
    this.#final?.dispose();
    this.#final = tf.keep(trigger.clone());
    const cache: Cache = { lstm: f.cache, sequences, time };
    if (mode === "train" && this.stateInterface && w.future) {
      const iface = this.stateInterface;
      const g = iface.send(trigger, w.context);
      if (g !== null) {
        if (g.rank !== 2 || g.shape[0] !== trigger.shape[0] || g.shape[1] !== trigger.shape[1]) {
          throw new RangeError(
            `Interface "${iface.type}" on the recurrent state returned a gradient of shape ${showShape(g.shape)} ` +
              `from send(), expected ${showShape(trigger.shape)}`,
          );
        }
        const site = { step: w.context.step, interface: iface.type };
        if (w.check([g], () => "the synthetic gradient on the recurrent state", site)) {
          cache.synthetic = g as tf.Tensor2D;
        }
      }
    }
    if (this.aux && mode === "train") {
      const first = tf.reshape(tf.slice(f.output, [0, 0, 0], [sequences, 1, this.units]), [sequences, this.units]);
      const r = this.aux.forward(first, "train");
      cache.aux = { cache: r.cache, prediction: r.output as tf.Tensor2D };
    }
    return { output: tf.reshape(f.output, [sequences * time, this.units]), cache };
  }

  backward(cache: LayerCache, outputGradient: tf.Tensor, needInputGradient: boolean): LayerGradients {
    const c = cache as Cache;
    const { sequences, time } = c;
    let perStep = tf.reshape(outputGradient, [sequences, time, this.units]) as tf.Tensor3D;
    let auxGradients: tf.Tensor[] = [];
    if (this.aux && c.aux) {
      // DNI + Aux: the first step's head regresses onto the window's synthetic gradient (per example).
      const g = c.synthetic
        ? tf.mul(tf.sub(c.aux.prediction, tf.mul(c.synthetic, sequences)), this.auxWeight / sequences)
        : tf.zerosLike(c.aux.prediction);
      const r = this.aux.backward(c.aux.cache, g, true);
      auxGradients = r.gradients;
      const first = tf.pad(tf.reshape(r.inputGradient!, [sequences, 1, this.units]), [[0, 0], [0, time - 1], [0, 0]]);
      perStep = tf.add(perStep, first) as tf.Tensor3D;
    }
    const final = c.synthetic ? splitState(c.synthetic, this.units) : undefined;
    const r = this.lstm.backwardSequence(c.lstm, perStep, final, needInputGradient);
    if (this.stateInterface && this.#pending) {
      const message = tf.concat([r.stateGradient.h, r.stateGradient.c], 1);
      this.stateInterface.receive(message, this.#pending.trigger, this.#pending.context);
    }
    return {
      inputGradient: r.inputGradient && tf.reshape(r.inputGradient, [sequences * time, this.inputShape[0]!]),
      gradients: [...r.gradients, ...auxGradients],
    };
  }

  /** The spec of the layer: the core's, with the state interface (and DNI + Aux) when there is one. */
  getConfig(): LayerSpec {
    const config: LayerSpec = { type: "lstm", units: this.units };
    if (this.stateInterface) {
      config.stateInterface = {
        ...this.stateInterface.getConfig(),
        ...(this.aux ? { aux: true, auxWeight: this.auxWeight } : {}),
      };
    }
    return config;
  }

  /** Frees the variables, the state interface and the carried state. */
  dispose(): void {
    this.resetState();
    this.lstm.dispose();
    this.aux?.dispose();
    this.stateInterface?.dispose();
  }

  /** `lstm([features] -> [units] per step)`, with the state interface. */
  toString(): string {
    const state = this.stateInterface ? `, state: ${this.stateInterface.type}${this.aux ? " + aux" : ""}` : "";
    return `lstm(${showShape(this.inputShape)} -> ${showShape(this.outputShape)} per step${state})`;
  }

  #releasePending(): void {
    if (!this.#pending) return;
    this.stateInterface?.release(this.#pending.context.step);
    this.#pending.trigger.dispose();
    this.#pending = undefined;
  }
}

/** `[B, 2 units]` (h then c) as an LSTM state. */
export function splitState(state: tf.Tensor2D, units: number): LstmState {
  const [h, c] = tf.split(state, [units, units], 1) as [tf.Tensor2D, tf.Tensor2D];
  return { h, c };
}
