/**
 * Optimizers, built from a name or a config object. Every layer (and every synthesizer) gets its own instance,
 * so each can update on its own schedule: Adam keeps one step counter per instance for its bias correction, and
 * decoupled modules update at different times. The update rules are those of `tf.train` (same defaults, same
 * formulas); they are written here because the `tf.train` optimizers leak a tensor or two on `dispose()`. Each
 * built-in takes an optional `schedule` (step decay or cosine, see `schedule.ts`) that scales its learning rate by
 * its own update count.
 *
 * @module
 */
import type { tf } from "../deps.ts";
import { Adam, Momentum, RmsProp, Sgd } from "./rules.ts";
import { bool, checkObject, numberIn, positiveNumber } from "../_validate.ts";
import { type ScheduleConfig, scheduleField } from "./schedule.ts";

/** An optimizer's spec: its type and hyper-parameters. */
export interface OptimizerConfig {
  /** `sgd`, `momentum`, `adam` or `rmsprop` (or a registered plugin). */
  type: string;
  /** Step size. */
  learningRate?: number;
  /** The built-ins' learning-rate schedule over this optimizer's own updates; constant when left out. */
  schedule?: ScheduleConfig;
  /** Further hyper-parameters, specific to the type. */
  [option: string]: unknown;
}

/**
 * What an optimizer carries from one update to the next, as plain data (for checkpoints): the number of updates
 * it made and, for each variable it updates, its slots (moments, accumulators), each of the variable's shape.
 */
export interface OptimizerState {
  /** Updates made so far (Adam's bias correction counts them). */
  steps: number;
  /** `slots[i][k]` is slot `slotNames[k]` of the i-th variable, row-major, of that variable's size. */
  slots: Float32Array[][];
}

/** Applies gradients to variables. */
export interface Optimizer {
  /** Updates each variable with its gradient (same order). */
  apply(variables: readonly tf.Variable[], gradients: readonly tf.Tensor[]): void;
  /** Frees optimizer state (moments, accumulators). */
  dispose(): void;
  /** Optional, for logs: the learning rate the next update uses (the schedule applied). */
  readonly currentLearningRate?: number;
  /** Optional, for checkpoints: the names of the slots each variable gets, e.g. `["m", "v"]` for Adam. */
  readonly slotNames?: readonly string[];
  /** Optional, for checkpoints: a copy of the state kept for `variables` (zeros for slots not made yet). */
  getState?(variables: readonly tf.Variable[]): OptimizerState;
  /** Optional, for checkpoints: replaces the state kept for `variables` with `state` (as `getState` gave it). */
  setState?(variables: readonly tf.Variable[], state: OptimizerState): void;
}

/** Builds optimizers from a validated config. `validate` returns the config with every default filled in. */
export interface OptimizerFactory {
  /** Checks the config (throwing `SpecError` naming `path`) and returns it with defaults filled in. */
  validate(config: OptimizerConfig, path: string): OptimizerConfig;
  /** A new optimizer instance for a validated config. */
  create(config: OptimizerConfig): Optimizer;
}

/** `sgd`: plain gradient descent. learningRate 0.01; optional `schedule`. */
export const sgd: OptimizerFactory = {
  validate(config, path) {
    checkObject(path, config, ["type", "learningRate", "schedule"]);
    return {
      type: "sgd",
      learningRate: positiveNumber(`${path}.learningRate`, config.learningRate, 0.01),
      ...scheduleField(config, path),
    };
  },
  create: (c) => new Sgd(c.learningRate!, c.schedule),
};

/** `momentum`: SGD with momentum. learningRate 0.01, momentum 0.9, nesterov false; optional `schedule`. */
export const momentum: OptimizerFactory = {
  validate(config, path) {
    checkObject(path, config, ["type", "learningRate", "momentum", "nesterov", "schedule"]);
    return {
      type: "momentum",
      learningRate: positiveNumber(`${path}.learningRate`, config.learningRate, 0.01),
      momentum: numberIn(`${path}.momentum`, config.momentum, 0, 1, 0.9),
      nesterov: bool(`${path}.nesterov`, config.nesterov, false),
      ...scheduleField(config, path),
    };
  },
  create: (c) => new Momentum(c.learningRate!, c.momentum as number, c.nesterov as boolean, c.schedule),
};

/** `adam`: learningRate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7 (the TF.js defaults); optional `schedule`. */
export const adam: OptimizerFactory = {
  validate(config, path) {
    checkObject(path, config, ["type", "learningRate", "beta1", "beta2", "epsilon", "schedule"]);
    return {
      type: "adam",
      learningRate: positiveNumber(`${path}.learningRate`, config.learningRate, 0.001),
      beta1: numberIn(`${path}.beta1`, config.beta1, 0, 0.999999, 0.9),
      beta2: numberIn(`${path}.beta2`, config.beta2, 0, 0.999999, 0.999),
      epsilon: positiveNumber(`${path}.epsilon`, config.epsilon, 1e-7),
      ...scheduleField(config, path),
    };
  },
  create: (c) => new Adam(c.learningRate!, c.beta1 as number, c.beta2 as number, c.epsilon as number, c.schedule),
};

/** `rmsprop`: learningRate 0.001, decay 0.9, momentum 0, epsilon 1e-7; optional `schedule`. */
export const rmsprop: OptimizerFactory = {
  validate(config, path) {
    checkObject(path, config, ["type", "learningRate", "decay", "momentum", "epsilon", "schedule"]);
    return {
      type: "rmsprop",
      learningRate: positiveNumber(`${path}.learningRate`, config.learningRate, 0.001),
      decay: numberIn(`${path}.decay`, config.decay, 0, 0.999999, 0.9),
      momentum: numberIn(`${path}.momentum`, config.momentum, 0, 1, 0),
      epsilon: positiveNumber(`${path}.epsilon`, config.epsilon, 1e-7),
      ...scheduleField(config, path),
    };
  },
  create: (c) => new RmsProp(c.learningRate!, c.decay as number, c.momentum as number, c.epsilon as number, c.schedule),
};
