/**
 * The update rules of the built-in optimizers, with the formulas and defaults of `tf.train`. Each instance keeps
 * its own slots (moments, accumulators) per variable and its own step counter, and can export and import them
 * (`getState` / `setState`) so that a checkpoint resumes training exactly. An optional schedule scales the learning
 * rate by a factor of the update's number (see `schedule.ts`), so a restored count also resumes the schedule.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Optimizer, OptimizerState } from "./optimizer.ts";
import { type ScheduleConfig, scheduleFactor } from "./schedule.ts";
import { FUSED } from "../fused/names.ts";
import { runFused } from "../fused/run.ts";

// Slot variables per optimized variable, created on first use and freed by dispose(), a count of updates, and the
// base learning rate with its optional schedule.
abstract class SlotOptimizer implements Optimizer {
  readonly slotNames: readonly string[];
  #slots = new Map<tf.Variable, tf.Variable[]>();
  #steps = 0;

  constructor(slotNames: readonly string[], readonly learningRate: number, readonly schedule?: ScheduleConfig) {
    this.slotNames = slotNames;
  }

  /** The learning rate of the next update: `learningRate` times the schedule's factor there. */
  get currentLearningRate(): number {
    return this.learningRate * scheduleFactor(this.schedule, this.#steps + 1);
  }

  protected slots(v: tf.Variable): tf.Variable[] {
    let slots = this.#slots.get(v);
    if (slots === undefined) {
      slots = this.slotNames.map(() => tf.tidy(() => tf.variable(tf.zerosLike(v), false)));
      this.#slots.set(v, slots);
    }
    return slots;
  }

  /**
   * Runs the fused kernel `name` for variable `v` when the backend has one and assigns its results to `v` and its
   * slots; false when the backend has none.
   */
  protected fused(name: string, v: tf.Variable, g: tf.Tensor, attrs: Record<string, number | boolean>): boolean {
    const slots = this.slots(v);
    const inputs: Record<string, tf.Tensor> = { variable: v, gradient: g };
    this.slotNames.forEach((n, k) => inputs[n] = slots[k]!);
    const out = runFused(name, inputs, attrs);
    if (out === undefined) return false;
    v.assign(out[0]!);
    slots.forEach((slot, k) => slot.assign(out[k + 1]!));
    return true;
  }

  apply(variables: readonly tf.Variable[], gradients: readonly tf.Tensor[]): void {
    const t = ++this.#steps;
    this.update(variables, gradients, this.learningRate * scheduleFactor(this.schedule, t), t);
  }

  /** The update rule with learning rate `lr` (the schedule applied); `t` counts updates from 1. */
  protected abstract update(
    variables: readonly tf.Variable[],
    gradients: readonly tf.Tensor[],
    lr: number,
    t: number,
  ): void;

  getState(variables: readonly tf.Variable[]): OptimizerState {
    return {
      steps: this.#steps,
      slots: variables.map((v) =>
        this.slotNames.map((_, k) => {
          const slot = this.#slots.get(v)?.[k];
          return slot ? slot.dataSync().slice() as Float32Array : new Float32Array(v.size);
        })
      ),
    };
  }

  setState(variables: readonly tf.Variable[], state: OptimizerState): void {
    const { steps, slots } = state;
    if (!Number.isInteger(steps) || steps < 0) {
      throw new RangeError(`Optimizer steps must be an integer >= 0, got ${steps}`);
    }
    if (slots.length !== variables.length) {
      throw new RangeError(`Optimizer state has slots for ${slots.length} variables, expected ${variables.length}`);
    }
    variables.forEach((v, i) => {
      const values = slots[i]!;
      if (values.length !== this.slotNames.length || values.some((a) => a.length !== v.size)) {
        throw new RangeError(
          `Optimizer state of variable ${i} must be ${this.slotNames.length} slots of ${v.size} values, got ` +
            `[${values.map((a) => a.length)}]`,
        );
      }
    });
    variables.forEach((v, i) => {
      const own = this.slots(v);
      tf.tidy(() => own.forEach((slot, k) => slot.assign(tf.tensor(slots[i]![k]!, v.shape))));
    });
    this.#steps = steps;
  }

  dispose(): void {
    for (const slots of this.#slots.values()) for (const s of slots) s.dispose();
    this.#slots.clear();
  }
}

/** v -= lr * g. */
export class Sgd extends SlotOptimizer {
  constructor(learningRate: number, schedule?: ScheduleConfig) {
    super([], learningRate, schedule);
  }
  protected update(variables: readonly tf.Variable[], gradients: readonly tf.Tensor[], lr: number): void {
    tf.tidy(() =>
      variables.forEach((v, i) => {
        if (this.fused(FUSED.sgd, v, gradients[i]!, { learningRate: lr })) return;
        v.assign(tf.sub(v, tf.mul(gradients[i]!, lr)));
      })
    );
  }
}

/** a = m a + g; v -= lr * a (nesterov: v -= lr * (g + m a)). */
export class Momentum extends SlotOptimizer {
  constructor(
    learningRate: number,
    readonly momentum: number,
    readonly nesterov: boolean,
    schedule?: ScheduleConfig,
  ) {
    super(["accumulation"], learningRate, schedule);
  }
  protected update(variables: readonly tf.Variable[], gradients: readonly tf.Tensor[], lr: number): void {
    tf.tidy(() =>
      variables.forEach((v, i) => {
        const g = gradients[i]!;
        const { momentum, nesterov } = this;
        if (this.fused(FUSED.momentum, v, g, { learningRate: lr, momentum, nesterov })) return;
        const [acc] = this.slots(v) as [tf.Variable];
        const next = tf.add(tf.mul(acc, this.momentum), g);
        acc.assign(next);
        const step = this.nesterov ? tf.add(g, tf.mul(next, this.momentum)) : next;
        v.assign(tf.sub(v, tf.mul(step, lr)));
      })
    );
  }
}

/** Adam (Kingma and Ba), bias-corrected with this instance's step count. */
export class Adam extends SlotOptimizer {
  constructor(
    learningRate: number,
    readonly beta1: number,
    readonly beta2: number,
    readonly epsilon: number,
    schedule?: ScheduleConfig,
  ) {
    super(["m", "v"], learningRate, schedule);
  }
  protected update(variables: readonly tf.Variable[], gradients: readonly tf.Tensor[], lr: number, t: number): void {
    const c1 = 1 / (1 - this.beta1 ** t), c2 = 1 / (1 - this.beta2 ** t);
    tf.tidy(() =>
      variables.forEach((v, i) => {
        const g = gradients[i]!;
        const { beta1, beta2, epsilon } = this, stepSize = c1 * lr;
        if (this.fused(FUSED.adam, v, g, { beta1, beta2, epsilon, stepSize, c2 })) return;
        const [m, s] = this.slots(v) as [tf.Variable, tf.Variable];
        const m1 = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1));
        const s1 = tf.add(tf.mul(s, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        m.assign(m1);
        s.assign(s1);
        const step = tf.div(tf.mul(m1, stepSize), tf.add(tf.sqrt(tf.mul(s1, c2)), this.epsilon));
        v.assign(tf.sub(v, step));
      })
    );
  }
}

/** RMSProp (uncentered): ms = d ms + (1 - d) g^2; v -= lr g / sqrt(ms + eps), with optional momentum. */
export class RmsProp extends SlotOptimizer {
  constructor(
    learningRate: number,
    readonly decay: number,
    readonly momentum: number,
    readonly epsilon: number,
    schedule?: ScheduleConfig,
  ) {
    super(["meanSquare", "momentum"], learningRate, schedule);
  }
  protected update(variables: readonly tf.Variable[], gradients: readonly tf.Tensor[], lr: number): void {
    tf.tidy(() =>
      variables.forEach((v, i) => {
        const g = gradients[i]!;
        const { decay, momentum, epsilon } = this;
        if (this.fused(FUSED.rmsprop, v, g, { learningRate: lr, decay, momentum, epsilon })) return;
        const [ms, mom] = this.slots(v) as [tf.Variable, tf.Variable];
        const ms1 = tf.add(tf.mul(ms, this.decay), tf.mul(tf.square(g), 1 - this.decay));
        ms.assign(ms1);
        let step = tf.div(tf.mul(g, lr), tf.sqrt(tf.add(ms1, this.epsilon)));
        if (this.momentum > 0) {
          step = tf.add(tf.mul(mom, this.momentum), step);
          mom.assign(step);
        }
        v.assign(tf.sub(v, step));
      })
    );
  }
}
