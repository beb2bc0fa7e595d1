/**
 * The synthetic-gradient interfaces of Jaderberg et al. 2016: `sg` (DNI) and `csg` (conditioned DNI, cDNI).
 * In the forward pass the synthesizer predicts dL/dh from the trigger h (and, for `csg`, the batch's one-hot
 * labels), and the bound layer updates with that prediction at once. When the message (the true gradient, or the
 * bootstrapped one from a decoupled layer above) arrives, the synthesizer regresses onto it.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { bool, checkObject, numberIn, positiveInt, positiveNumber } from "../_validate.ts";
import { SpecError } from "../errors.ts";
import type {
  DecouplingInterface,
  Diagnosing,
  InterfaceConfig,
  InterfaceContext,
  StepContext,
  TrainingStateful,
} from "./interface.ts";
import type { OptimizerConfig } from "../optimizers/optimizer.ts";
import type { Random } from "../random.ts";
import { emptyState, prefixState, subState, type TrainingState } from "../optimizers/state.ts";
import { requireLabels } from "./require_labels.ts";
import { LossMeter } from "./_loss_meter.ts";
import { fasterOptimizer, hiddenWidths, OWN_MODEL_RATE, ownOptimizer } from "./_own_model.ts";
import { Synthesizer, type SynthesizerPass } from "./synthesizer.ts";

/**
 * What the interface needs of a synthesizer (a test can pass an oracle instead): `forward(trigger, labels, mode)`
 * predicts the per-example gradient from the trigger (and, conditioned, the labels), `fit` regresses it.
 */
export type SynthesizerModel =
  & Pick<Synthesizer, "forward" | "fit" | "variables" | "dispose">
  & Partial<Pick<Synthesizer, "variableNames" | "getTrainingState" | "setTrainingState">>;

/** The options of `sg` and `csg`, all optional. */
export interface SyntheticGradientOptions {
  /** Hidden layer widths of the synthesizer (ReLU); `[]` (default) is a linear synthesizer. */
  hidden?: number[];
  /** Batch normalisation in the synthesizer's hidden layers. @default {false} */
  batchNorm?: boolean;
  /** For a trigger `[H, W, C]` (a conv layer's): the synthesizer's convolution kernel size. @default {5} */
  kernelSize?: number;
  /**
   * For a trigger `[H, W, C]`: width of the synthesizer's global path, a low-rank map of the whole trigger and the
   * labels added to the convolution's local prediction (see `Synthesizer`); 0 leaves it out (`sg` only). @default {32}
   */
  globalUnits?: number;
  /** The synthesizer's optimizer, by name or config. @default {the network's optimizer at 3x its learning rate} */
  optimizer?: string | OptimizerConfig;
  /** Factor on the synthetic gradient before the layer uses it. @default {0.3 for `sg`, 1 for `csg`} */
  scale?: number;
  /** Probability that the layer updates in a step (stochastic updates). @default {1} */
  updateProbability?: number;
}

/**
 * `sg`'s default `scale`: an unconditioned synthesizer's bootstrapped predictions are noisy (their cosine to the true
 * gradient is near 0 once the output layer fits), and damping them trains better without batch norm and no worse
 * with it (docs/race.md#plain-sg). `csg`'s default is 1.
 */
const SG_SCALE = 0.3;

const FIELDS = ["type", "hidden", "batchNorm", "kernelSize", "globalUnits", "optimizer", "scale", "updateProbability"];
const IMAGE_ONLY = ["kernelSize", "globalUnits"];

/** A synthetic-gradient interface; `conditioned` makes it `csg`. */
export class SyntheticGradient implements DecouplingInterface, Diagnosing, TrainingStateful {
  /** `"sg"` or `"csg"`. */
  readonly type: "sg" | "csg";
  /** Always `true`: the layer updates with the synthetic gradient in the forward pass. */
  readonly decouples = true as const;
  readonly #synthesizer: SynthesizerModel;
  readonly #config: InterfaceConfig;
  readonly #scale: number;
  readonly #updateProbability: number;
  readonly #random: Random;
  // The synthesizer's forward pass of each step whose message has not arrived yet (kept out of tf.tidy).
  #pending = new Map<number, SynthesizerPass>();
  readonly #loss = new LossMeter();

  /**
   * @param conditioned Whether the synthesizer also reads the labels (`csg`).
   * @param synthesizer The model that predicts the per-example gradient (B x dL/dh).
   * @param config The validated config, with defaults filled in (returned by `getConfig`).
   * @param random Seeded generator for stochastic updates.
   */
  constructor(conditioned: boolean, synthesizer: SynthesizerModel, config: InterfaceConfig, random: Random) {
    this.type = conditioned ? "csg" : "sg";
    this.#synthesizer = synthesizer;
    this.#config = config;
    this.#scale = (config.scale as number | undefined) ?? 1;
    this.#updateProbability = (config.updateProbability as number | undefined) ?? 1;
    this.#random = random;
  }

  get variables(): readonly tf.Variable[] {
    return this.#synthesizer.variables;
  }

  get variableNames(): readonly string[] {
    const names = this.#synthesizer.variableNames ?? this.variables.map((_, i) => `variables[${i}]`);
    return names.map((n) => `synthesizer.${n}`);
  }

  /** The synthesizer's optimizer state (`synthesizer.optimizer...`) and the stochastic updates' stream (`random`). */
  getTrainingState(): TrainingState {
    const state = prefixState(this.#synthesizer.getTrainingState?.() ?? emptyState(), "synthesizer.");
    state.counters.random = this.#random.state;
    return state;
  }

  setTrainingState(state: TrainingState): void {
    const random = state.counters.random;
    if (random === undefined) throw new RangeError(`Training state of interface "${this.type}" has no counter random`);
    this.#synthesizer.setTrainingState?.(subState(state, "synthesizer."));
    this.#random.state = random;
  }

  // The labels the synthesizer reads: the step's, checked (csg), or none (sg).
  #labels(trigger: tf.Tensor, context: StepContext): tf.Tensor2D | undefined {
    return this.type === "csg" ? requireLabels(context, this.type, trigger.shape[0]!) : undefined;
  }

  /** The synthetic gradient for the bound layer now (or null: a stochastic update skipped); keeps the pass. */
  send(trigger: tf.Tensor, context: StepContext): tf.Tensor | null {
    const pass = this.#synthesizer.forward(trigger, this.#labels(trigger, context), "train");
    this.release(context.step);
    this.#pending.set(context.step, keepPass(pass));
    if (this.#updateProbability < 1 && this.#random.next() >= this.#updateProbability) return null;
    return tf.mul(pass.output, this.#scale / trigger.shape[0]!);
  }

  /** The message arrives: the synthesizer regresses its prediction of that step onto it (times B). */
  receive(message: tf.Tensor, _trigger: tf.Tensor, context: StepContext): void {
    const pass = this.#pending.get(context.step);
    if (pass === undefined) {
      throw new Error(`Interface "${this.type}" received a message for step ${context.step} without a send() for it`);
    }
    this.#pending.delete(context.step);
    // The target is the per-example gradient: B x dL/dh.
    const loss = tf.tidy(() => {
      const l = this.#synthesizer.fit(pass, message, message.shape[0]!);
      disposePass(pass);
      return l;
    });
    this.#loss.add(loss as tf.Scalar);
  }

  /** No message will come for `step` (the layers above skipped it): frees what `send` kept for it. */
  release(step: number): void {
    const pass = this.#pending.get(step);
    if (pass) {
      disposePass(pass);
      this.#pending.delete(step);
    }
  }

  /** What `send` would answer, without learning, statistics or random draws. */
  synthesize(trigger: tf.Tensor, context: StepContext): tf.Tensor {
    return tf.tidy(() => {
      const pass = this.#synthesizer.forward(trigger, this.#labels(trigger, context), "probe");
      return tf.mul(pass.output, this.#scale / trigger.shape[0]!);
    });
  }

  /** The synthesizer's mean regression loss since the last call (`synthesizerLoss`). */
  diagnostics(): Record<string, number> {
    return { synthesizerLoss: this.#loss.take() };
  }

  getConfig(): InterfaceConfig {
    return structuredClone(this.#config);
  }

  dispose(): void {
    for (const step of [...this.#pending.keys()]) this.release(step);
    this.#loss.dispose();
    this.#synthesizer.dispose();
  }
}

/** Validates the options of `sg`/`csg` and fills in the defaults. */
export function syntheticGradientConfig(
  type: "sg" | "csg",
  raw: InterfaceConfig,
  context: Pick<InterfaceContext, "path" | "optimizer" | "optimizers" | "shape">,
): InterfaceConfig {
  const { path } = context;
  const c = checkObject(path, raw, context.shape.length === 3 ? FIELDS : FIELDS.filter((f) => !IMAGE_ONLY.includes(f)));
  const widths = hiddenWidths(path, c.hidden);
  const optimizer = ownOptimizer(path, c.optimizer ?? fasterOptimizer(context.optimizer, OWN_MODEL_RATE), context);
  return {
    type,
    hidden: widths,
    batchNorm: bool(`${path}.batchNorm`, c.batchNorm, false),
    ...(context.shape.length === 3
      ? {
        kernelSize: positiveInt(`${path}.kernelSize`, c.kernelSize, 5),
        globalUnits: globalUnits(type, `${path}.globalUnits`, c.globalUnits),
      }
      : {}),
    optimizer,
    scale: positiveNumber(`${path}.scale`, c.scale, type === "sg" ? SG_SCALE : 1),
    updateProbability: numberIn(`${path}.updateProbability`, c.updateProbability, 1e-9, 1, 1),
  };
}

// The global path's width: an integer >= 0 (>= 1 for csg, which reads the labels there). @default {32}
function globalUnits(type: "sg" | "csg", path: string, value: unknown): number {
  if (value === undefined) return 32;
  if (typeof value !== "number" || !Number.isInteger(value) || value < (type === "csg" ? 1 : 0)) {
    throw new SpecError(path, value, `must be an integer >= ${type === "csg" ? "1 (csg reads the labels there)" : 0}`);
  }
  return value;
}

function create(type: "sg" | "csg") {
  return (raw: InterfaceConfig, context: InterfaceContext): SyntheticGradient => {
    const config = syntheticGradientConfig(type, raw, context);
    const optimizerConfig = config.optimizer as OptimizerConfig;
    const synthesizer = new Synthesizer({
      shape: context.shape,
      contextUnits: type === "csg" ? context.contextUnits : 0,
      hidden: config.hidden as number[],
      batchNorm: config.batchNorm as boolean,
      kernelSize: config.kernelSize as number | undefined,
      globalUnits: config.globalUnits as number | undefined,
      optimizer: context.optimizers.get(optimizerConfig.type).create(optimizerConfig),
      random: context.random.fork(),
      path: context.path,
    });
    return new SyntheticGradient(type === "csg", synthesizer, config, context.random.fork());
  };
}

/** The registry factory of `sg`: DNI, a synthesizer that reads the trigger alone. */
export const createSg: (config: InterfaceConfig, context: InterfaceContext) => SyntheticGradient = create("sg");

/** The registry factory of `csg`: conditioned DNI, a synthesizer that reads the trigger and the labels. */
export const createCsg: (config: InterfaceConfig, context: InterfaceContext) => SyntheticGradient = create("csg");

// Every tensor of a synthesizer pass, to keep it beyond the current tf.tidy and dispose it after the message.
function passTensors(pass: SynthesizerPass): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  const walk = (v: unknown) => {
    if (v instanceof tf.Tensor) out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(pass);
  return out;
}

function keepPass(pass: SynthesizerPass): SynthesizerPass {
  for (const t of passTensors(pass)) tf.keep(t);
  return pass;
}

function disposePass(pass: SynthesizerPass): void {
  tf.dispose([...new Set(passTensors(pass))]);
}
