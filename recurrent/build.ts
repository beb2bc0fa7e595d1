/**
 * Building a sequence network: a spec whose `input` is the features of one time step (`[9]`) and whose first layer
 * is recurrent (`lstm`). Every layer then works on one row per sequence and step: an `lstm` runs its rows as
 * sequences (its state carried from window to window), the layers after it (`dense`, another `lstm`) read its
 * output rows, and the last one gives each step's logits for a per-step loss (`sigmoid-cross-entropy`,
 * `softmax-cross-entropy`). `buildNetwork` calls it for such a spec.
 *
 * An `lstm`'s `interface` binds to its output rows like any layer's; a decoupling one (`sg`, `csg`, a plugin)
 * must have another `lstm` above it (a cut between recurrent layers, decoupled in depth). Its `stateInterface` sits
 * on its recurrent state at each window's end (decoupled in time, the DNI paper's RNN setup), with `"aux": true`
 * for DNI + Aux.
 *
 * @module
 */
import { SpecError } from "../errors.ts";
import { bool, checkObject, isRecord, positiveInt, positiveNumber } from "../_validate.ts";
import type { DecouplingInterface, InterfaceConfig, NeuralInterface } from "../interfaces/interface.ts";
import { Dense } from "../layers/dense.ts";
import type { Layer, LayerConfig } from "../layers/layer.ts";
import { Lstm } from "../layers/lstm.ts";
import type { OptimizerConfig } from "../optimizers/optimizer.ts";
import { Random } from "../random.ts";
import { lookup, nameOf, validateOptimizer } from "../network/_lookup.ts";
import { defaultRegistries, type Registries } from "../network/registries.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { SPEC_FIELDS } from "../network/spec.ts";
import { Network } from "../network/network.ts";
import { checkDecoupling, checkPlugin, INTERFACE_MEMBERS, LAYER_MEMBERS } from "../network/_plugin_checks.ts";
import { STEP_LOSSES, stepLossObject, type StepLossType } from "../losses/step_loss.ts";
import { RecurrentLayer } from "./recurrent_layer.ts";

/** Options of `buildSequenceNetwork` (those of `buildNetwork`). */
export interface SequenceBuildOptions {
  /** Where names are looked up. @default {defaultRegistries} */
  registries?: Registries;
  /** Seed of the initial weights; overrides the spec's `seed`. */
  seed?: number;
}

/** The recurrent layers a sequence spec may start with. */
export const RECURRENT_CORES: readonly string[] = ["lstm"];

const isBackprop = (raw: unknown) =>
  raw === undefined || raw === "backprop" || (isRecord(raw) && raw.type === "backprop");

/**
 * Builds a sequence network (`buildNetwork` does it for a sequence spec).
 *
 * @throws {SpecError} If the spec is invalid, naming the field and the value: an `input` with a time axis, a
 *   first layer that is not recurrent, a decoupling `interface` on an lstm with no lstm above it (the state's is
 *   `stateInterface`), a loss that is not per-step.
 *
 * @example An LSTM of 32 units on the copy task's 9 input bits, with DNI on its recurrent state
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetwork } from "../mod.ts";
 *
 * const net = buildNetwork({
 *   input: [9],
 *   layers: [{ type: "lstm", units: 32, stateInterface: "sg" }, { type: "dense", units: 8 }],
 *   loss: "sigmoid-cross-entropy",
 * });
 * assert.equal(net.kind, "sequence");
 * assert.equal(net.outputUnits, 8);
 * net.dispose();
 * ```
 */
export function buildSequenceNetwork(spec: NetworkSpec, options: SequenceBuildOptions = {}): Network {
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
  const specs = s.layers;
  if (!Array.isArray(specs) || specs.length < 2) {
    throw new SpecError("layers", specs, "must hold a recurrent layer (lstm) and at least one per-step layer");
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
  const made: { layers: Layer[]; cores: Lstm[]; extras: { dispose(): void }[]; interfaces: NeuralInterface[] } = {
    layers: [],
    cores: [],
    extras: [],
    interfaces: [],
  };
  try {
    const types = specs.map((raw, i) => isRecord(raw) ? nameOf(`layers[${i}].type`, raw.type) : undefined);
    if (!RECURRENT_CORES.includes(types[0]!)) {
      throw new SpecError(
        "layers[0].type",
        types[0],
        `must be recurrent (${RECURRENT_CORES.join(", ")}) in a sequence spec`,
      );
    }
    const layerOptimizers: OptimizerConfig[] = [];
    const outputInterfaces: { raw: unknown; path: string }[] = [];
    const stateRaws: (unknown | undefined)[] = [];
    const cores: (Lstm | undefined)[] = [];
    const plain: (Layer | undefined)[] = [];
    let width = features;
    specs.forEach((raw: unknown, i: number) => {
      const path = `layers[${i}]`;
      if (!isRecord(raw)) throw new SpecError(path, raw, "must be an object with a type");
      const { interface: iface, optimizer, forwardUnlock, stateInterface, ...config } = raw;
      const type = types[i]!;
      const isOutput = i === specs.length - 1;
      if (forwardUnlock !== undefined) {
        throw new SpecError(`${path}.forwardUnlock`, forwardUnlock, "is for feed-forward specs, not sequence specs");
      }
      if (isOutput && iface !== undefined) {
        throw new SpecError(`${path}.interface`, iface, "must not be set: the output layer has no interface");
      }
      layerOptimizers.push(
        optimizer === undefined ? optimizerConfig : validateOptimizer(registries, optimizer, `${path}.optimizer`),
      );
      if (RECURRENT_CORES.includes(type)) {
        if (isOutput) throw new SpecError(`${path}.type`, type, "must not be the output layer: end with a dense layer");
        if (config.returnSequences === false) {
          throw new SpecError(
            `${path}.returnSequences`,
            false,
            "must be true or left out in a sequence spec: every step's state goes to the layer above",
          );
        }
        if (!isBackprop(iface) && !RECURRENT_CORES.includes(types[i + 1]!)) {
          throw new SpecError(
            `${path}.interface`,
            iface,
            "binds to the lstm's output rows, which the per-step layers above read in the same window: it must be " +
              "backprop here (a decoupling interface goes between two lstm layers). The interface on the recurrent " +
              `state at a window's end is "stateInterface", e.g. { "type": "lstm", "units": 32, "stateInterface": "sg" }`,
          );
        }
        const core = new Lstm({ ...config, type, returnSequences: true } as LayerConfig, {
          inputShape: [1, width], // the time axis is the window's, decided at run time
          path,
          random: random.fork(),
        });
        made.cores.push(core);
        cores[i] = core;
        stateRaws[i] = stateInterface;
        width = core.units;
      } else {
        if (stateInterface !== undefined) {
          throw new SpecError(`${path}.stateInterface`, stateInterface, "is for recurrent layers (lstm)");
        }
        const factory = lookup(registries.layers, type, `${path}.type`);
        const layer = factory(config as LayerConfig, { inputShape: [width], path, random: random.fork() });
        checkPlugin("layer", type, path, layer, LAYER_MEMBERS);
        made.extras.push(layer);
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
        plain[i] = layer;
        width = layer.outputShape[0]!;
      }
      if (!isOutput) outputInterfaces.push({ raw: iface ?? "backprop", path: `${path}.interface` });
    });
    const outputs = width;

    // The interfaces on the recurrent states (and DNI + Aux), then those on the layers' outputs.
    const layers: Layer[] = specs.map((_, i) => {
      const core = cores[i];
      if (!core) return plain[i]!;
      const state = stateInterfaceOf(stateRaws[i], `layers[${i}].stateInterface`, core, outputs, optimizerConfig, {
        registries,
        random,
        made,
      });
      return new RecurrentLayer({ lstm: core, ...state });
    });
    made.layers = layers;
    const interfaces = outputInterfaces.map(({ raw, path }, i) => {
      const type = nameOf(path, raw);
      const config = (typeof raw === "string" ? { type } : raw) as InterfaceConfig;
      const factory = lookup(registries.interfaces, type, path);
      const iface = factory(config, {
        shape: layers[i]!.outputShape,
        units: layers[i]!.outputShape[0]!,
        contextUnits: outputs,
        path,
        random: random.fork(),
        optimizer: optimizerConfig,
        optimizers: registries.optimizers,
      });
      checkPlugin("interface", type, path, iface, INTERFACE_MEMBERS);
      made.interfaces.push(iface);
      checkDecoupling(type, path, iface);
      return iface;
    });
    return new Network({
      spec: { input: [features], layers: [], loss: lossName, optimizer: optimizerConfig, seed },
      layers,
      interfaces,
      loss: stepLossObject(lossName as StepLossType),
      stepLoss: lossName as StepLossType,
      optimizers: layerOptimizers.map((c) => registries.optimizers.get(c.type).create(c)),
      layerOptimizers: layerOptimizers.map((c) => c === optimizerConfig ? undefined : c),
      plugins: registries.plugins,
    });
  } catch (error) {
    if (made.layers.length > 0) { for (const layer of made.layers) layer.dispose(); }
    else for (const part of [...made.cores, ...made.extras]) part.dispose();
    for (const iface of made.interfaces) iface.dispose();
    throw error;
  }
}

// A recurrent layer's state interface (and aux head) from its spec; none for backprop.
function stateInterfaceOf(
  raw: unknown,
  path: string,
  core: Lstm,
  outputs: number,
  optimizer: OptimizerConfig,
  at: { registries: Registries; random: Random; made: { extras: { dispose(): void }[] } },
): { stateInterface?: DecouplingInterface; aux?: Dense; auxWeight?: number } {
  const ifaceRaw = raw ?? "backprop";
  const type = nameOf(path, ifaceRaw);
  const { aux: auxRaw, auxWeight: auxWeightRaw, ...config } = (isRecord(ifaceRaw) ? ifaceRaw : { type }) as
    & InterfaceConfig
    & { aux?: unknown; auxWeight?: unknown };
  const aux = bool(`${path}.aux`, auxRaw, false);
  const auxWeight = positiveNumber(`${path}.auxWeight`, auxWeightRaw, 1);
  if (type === "backprop") {
    if (aux) throw new SpecError(`${path}.aux`, true, "needs a synthetic-gradient interface to predict (e.g. sg)");
    return {};
  }
  const factory = lookup(at.registries.interfaces, type, path);
  const iface = factory(config, {
    shape: [2 * core.units],
    units: 2 * core.units,
    contextUnits: outputs,
    path,
    random: at.random.fork(),
    optimizer,
    optimizers: at.registries.optimizers,
  });
  at.made.extras.push(iface);
  checkPlugin("interface", type, path, iface, INTERFACE_MEMBERS);
  if (!(iface as { decouples?: unknown }).decouples) {
    throw new SpecError(
      path,
      type,
      "must decouple (answer in send()) to sit on the recurrent state at a window's end: the next window has not " +
        "run yet when this one updates",
    );
  }
  checkDecoupling(type, path, iface);
  const head = aux
    ? new Dense({ type: "dense", units: 2 * core.units }, {
      inputShape: [core.units],
      path: `${path}.aux`,
      random: at.random.fork(),
    })
    : undefined;
  if (head) at.made.extras.push(head);
  return { stateInterface: iface as DecouplingInterface, aux: head, auxWeight };
}

/**
 * Whether a spec describes a sequence network (one step's `input` and a recurrent layer first).
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
