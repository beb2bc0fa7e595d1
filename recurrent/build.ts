/**
 * `buildRecurrentModel`: a sequence spec to a `RecurrentModel`. A sequence spec is a network spec that describes
 * one time step: `input` is the features of one step (`[9]`), the first layer is the recurrent core (`lstm`; every
 * step's hidden state goes up), the layers after it (`dense`) apply to every step, and the last one gives the
 * step's logits. The core's `interface` sits on its recurrent state at each truncation window's end: `backprop` (the
 * default) is plain truncated BPTT (the gradient stops there), a decoupling interface (`sg`, a plugin) is the DNI
 * paper's RNN setup, and `"aux": true` in its config adds the paper's auxiliary task (DNI + Aux).
 *
 * @module
 */
import { SpecError } from "../errors.ts";
import { bool, checkObject, isRecord, positiveInt, positiveNumber } from "../_validate.ts";
import { type DecouplingInterface, type InterfaceConfig, missingMethods } from "../interfaces/interface.ts";
import { Dense } from "../layers/dense.ts";
import type { Layer, LayerConfig } from "../layers/layer.ts";
import { Lstm } from "../layers/lstm.ts";
import type { OptimizerConfig } from "../optimizers/optimizer.ts";
import { Random } from "../random.ts";
import { lookup, nameOf, validateOptimizer } from "../network/_lookup.ts";
import { defaultRegistries, type Registries } from "../network/registries.ts";
import { type LayerSpec, type NetworkSpec, SPEC_FIELDS } from "../network/spec.ts";
import { RecurrentModel } from "./model.ts";
import { STEP_LOSSES, type StepLossType } from "./step_loss.ts";

/** Options of `buildRecurrentModel`. */
export interface RecurrentBuildOptions {
  /** Where names are looked up. @default {defaultRegistries} */
  registries?: Registries;
  /** Seed of the initial weights; overrides the spec's `seed`. */
  seed?: number;
}

/** The recurrent cores a sequence spec may start with. */
export const RECURRENT_CORES: readonly string[] = ["lstm"];

/**
 * Builds a recurrent model from a sequence spec.
 *
 * @throws {SpecError} If the spec is invalid (naming the field and the value), e.g. a first layer that is not
 *   recurrent, an `input` with a time axis, a per-step layer with a decoupling interface, or an unknown loss.
 *
 * @example An LSTM of 32 units on the copy task's 9 input bits, with DNI on its recurrent state
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildRecurrentModel } from "../mod.ts";
 *
 * const model = buildRecurrentModel({
 *   input: [9],
 *   layers: [
 *     { type: "lstm", units: 32, interface: { type: "sg" } },
 *     { type: "dense", units: 8 },
 *   ],
 *   loss: "sigmoid-cross-entropy",
 *   optimizer: { type: "adam", learningRate: 0.001 },
 * });
 * assert.equal(model.stateInterface?.type, "sg");
 * assert.equal(model.outputs, 8);
 * model.dispose();
 * ```
 */
export function buildRecurrentModel(spec: NetworkSpec, options: RecurrentBuildOptions = {}): RecurrentModel {
  const { registries = defaultRegistries } = options;
  const s = checkObject("spec", spec, SPEC_FIELDS);
  if (!Array.isArray(s.input) || s.input.length !== 1) {
    throw new SpecError(
      "input",
      s.input,
      "must be [features], the width of one time step, in a sequence spec (the data decides the length)",
    );
  }
  const features = positiveInt("input[0]", s.input[0]);
  const layerSpecs = s.layers;
  if (!Array.isArray(layerSpecs) || layerSpecs.length < 2) {
    throw new SpecError("layers", layerSpecs, "must hold a recurrent core (lstm) and at least one per-step layer");
  }
  const seed = options.seed ?? (s.seed === undefined ? 0 : s.seed);
  if (typeof seed !== "number" || !Number.isInteger(seed)) throw new SpecError("seed", seed, "must be an integer");
  const lossName = nameOf("loss", s.loss ?? "softmax-cross-entropy");
  if (isRecord(s.loss)) checkObject("loss", s.loss, ["type"]);
  if (!STEP_LOSSES.includes(lossName as StepLossType)) {
    throw new SpecError(
      "loss",
      lossName,
      `is not a per-step loss of sequence training (known: ${STEP_LOSSES.join(", ")})`,
    );
  }
  const optimizerConfig = validateOptimizer(registries, s.optimizer ?? "adam", "optimizer");
  const random = new Random(seed);
  const made: { parts: Layer[]; iface?: DecouplingInterface } = { parts: [] };
  try {
    // The core.
    const rawCore = layerSpecs[0];
    if (!isRecord(rawCore)) throw new SpecError("layers[0]", rawCore, "must be an object with a type");
    const { interface: rawIface, optimizer: coreOptimizerRaw, ...coreConfig } = rawCore;
    const coreType = nameOf("layers[0].type", coreConfig.type);
    if (!RECURRENT_CORES.includes(coreType)) {
      throw new SpecError(
        "layers[0].type",
        coreType,
        `must be a recurrent core (${RECURRENT_CORES.join(", ")}) in a sequence spec`,
      );
    }
    if (coreConfig.returnSequences === false) {
      throw new SpecError(
        "layers[0].returnSequences",
        false,
        "must be true or left out in a sequence spec: every step's state goes to the per-step layers",
      );
    }
    const core = new Lstm({ ...coreConfig, type: coreType, returnSequences: true } as LayerConfig, {
      inputShape: [1, features], // the time axis is the window's, decided at run time
      path: "layers[0]",
      random: random.fork(),
    });
    made.parts.push(core);
    const optimizers: OptimizerConfig[] = [
      coreOptimizerRaw === undefined
        ? optimizerConfig
        : validateOptimizer(registries, coreOptimizerRaw, "layers[0].optimizer"),
    ];

    // The per-step layers.
    const readout: Layer[] = [];
    let width = core.units;
    const specs: LayerSpec[] = [];
    for (let i = 1; i < layerSpecs.length; i++) {
      const path = `layers[${i}]`;
      const raw = layerSpecs[i];
      if (!isRecord(raw)) throw new SpecError(path, raw, "must be an object with a type");
      const { interface: iface, optimizer, ...config } = raw;
      const isOutput = i === layerSpecs.length - 1;
      if (iface !== undefined && !(iface === "backprop" || (isRecord(iface) && iface.type === "backprop"))) {
        throw new SpecError(
          `${path}.interface`,
          iface,
          "must be backprop or left out: a sequence spec's per-step layers are coupled within a window; put a " +
            "decoupling interface on the recurrent core's state (layers[0].interface)",
        );
      }
      if (isOutput && iface !== undefined) {
        throw new SpecError(`${path}.interface`, iface, "must not be set: the output layer has no interface");
      }
      if (config.forwardUnlock !== undefined) {
        throw new SpecError(
          `${path}.forwardUnlock`,
          config.forwardUnlock,
          "is for feed-forward specs: a sequence spec's per-step layers are coupled within a window",
        );
      }
      const type = nameOf(`${path}.type`, config.type);
      const factory = lookup(registries.layers, type, `${path}.type`);
      const layer = factory(config as LayerConfig, { inputShape: [width], path, random: random.fork() });
      made.parts.push(layer);
      if (layer.outputShape.length !== 1) {
        throw new SpecError(`${path}.type`, type, `must give a flat output per step, got [${layer.outputShape}]`);
      }
      if (isOutput && (config.activation ?? "linear") !== "linear") {
        throw new SpecError(
          `${path}.activation`,
          config.activation,
          `must be "linear" for loss "${lossName}" (it applies the ${lossName.split("-")[0]} itself)`,
        );
      }
      readout.push(layer);
      width = layer.outputShape[0]!;
      optimizers.push(optimizer === undefined ? optimizerConfig : validateOptimizer(registries, optimizer, path));
      specs.push({
        ...layer.getConfig(),
        ...(optimizer === undefined ? {} : { optimizer: optimizers[optimizers.length - 1] }),
      });
    }

    // The interface on the recurrent state, and DNI + Aux.
    const ipath = "layers[0].interface";
    const ifaceRaw = rawIface ?? "backprop";
    const ifaceType = nameOf(ipath, ifaceRaw);
    const { aux: auxRaw, auxWeight: auxWeightRaw, ...ifaceConfig } = (isRecord(ifaceRaw) ? ifaceRaw : {
      type: ifaceType,
    }) as InterfaceConfig;
    const aux = bool(`${ipath}.aux`, auxRaw, false);
    const auxWeight = positiveNumber(`${ipath}.auxWeight`, auxWeightRaw, 1);
    let stateInterface: DecouplingInterface | undefined;
    if (ifaceType !== "backprop") {
      const factory = lookup(registries.interfaces, ifaceType, ipath);
      const iface = factory(ifaceConfig, {
        shape: [2 * core.units],
        units: 2 * core.units,
        contextUnits: width,
        path: ipath,
        random: random.fork(),
        optimizer: optimizerConfig,
        optimizers: registries.optimizers,
      });
      const missing = missingMethods(iface);
      if (!iface.decouples || missing === undefined || missing.length > 0) {
        iface.dispose?.();
        throw new SpecError(
          ipath,
          ifaceType,
          "must decouple (answer in send()) to sit on the recurrent state at a window's end: the next window has " +
            "not run yet when this one updates",
        );
      }
      stateInterface = iface;
      made.iface = iface;
    } else if (aux) {
      throw new SpecError(`${ipath}.aux`, true, "needs a synthetic-gradient interface to predict (e.g. sg)");
    }
    let auxHead: Dense | undefined;
    if (aux) {
      auxHead = new Dense({ type: "dense", units: 2 * core.units }, {
        inputShape: [core.units],
        path: `${ipath}.aux`,
        random: random.fork(),
      });
      made.parts.push(auxHead);
      optimizers.push(optimizers[0]!);
    }

    const coreSpec: LayerSpec = { ...core.getConfig() };
    if (stateInterface) {
      coreSpec.interface = { ...stateInterface.getConfig(), ...(aux ? { aux: true, auxWeight } : {}) };
    }
    if (coreOptimizerRaw !== undefined) coreSpec.optimizer = optimizers[0];
    return new RecurrentModel({
      spec: { input: [features], layers: [coreSpec, ...specs], loss: lossName, optimizer: optimizerConfig, seed },
      core,
      readout,
      stateInterface,
      aux: auxHead,
      auxWeight,
      loss: lossName as StepLossType,
      optimizers: optimizers.map((c) => registries.optimizers.get(c.type).create(c)),
    });
  } catch (error) {
    for (const part of made.parts) part.dispose();
    made.iface?.dispose();
    throw error;
  }
}

/**
 * Whether a spec describes a sequence model (one step's `input` and a recurrent core first), for the CLI to pick
 * the trainer.
 *
 * @example
 * ```ts
 * import { isSequenceSpec } from "./build.ts";
 * console.assert(isSequenceSpec({ input: [9], layers: [{ type: "lstm", units: 8 }, { type: "dense", units: 8 }] }));
 * console.assert(!isSequenceSpec({ input: [784], layers: [{ type: "dense", units: 10 }] }));
 * ```
 */
export function isSequenceSpec(spec: unknown): boolean {
  if (!isRecord(spec) || !Array.isArray(spec.layers) || !Array.isArray(spec.input) || spec.input.length !== 1) {
    return false;
  }
  const first = spec.layers[0];
  return isRecord(first) && typeof first.type === "string" && RECURRENT_CORES.includes(first.type);
}
