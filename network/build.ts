/**
 * `buildNetwork`: from a declarative spec to a network, through the registries.
 *
 * @module
 */
import { checkOptionKeys, optionKeys } from "../_option_keys.ts";
import { SpecError } from "../errors.ts";
import { checkObject, isRecord, positiveInt } from "../_validate.ts";
import type { InterfaceConfig, NeuralInterface } from "../interfaces/interface.ts";
import { type Layer, type LayerConfig, type Shape, showShape, sizeOf } from "../layers/layer.ts";
import type { OptimizerConfig } from "../optimizers/optimizer.ts";
import { Random } from "../random.ts";
import { Network } from "./network.ts";
import { createInputSynthesizer, type InputSynthesizer } from "./input_synthesizer.ts";
import { lookup, nameOf, validateOptimizer } from "./_lookup.ts";
import { defaultRegistries, type Registries } from "./registries.ts";
import { type NetworkSpec, SPEC_FIELDS } from "./spec.ts";
import { checkDecoupling, checkPlugin, checkShapes, INTERFACE_MEMBERS, LAYER_MEMBERS } from "./_plugin_checks.ts";
import { buildSequenceNetwork, isSequenceSpec } from "../recurrent/build.ts";

/** Options of `buildNetwork`. */
export interface BuildOptions {
  /** Where names are looked up. @default {defaultRegistries} */
  registries?: Registries;
  /** Seed of the initial weights; overrides the spec's `seed`. */
  seed?: number;
  /**
   * The most values the layers' variables (weights and state) may hold together, checked as each layer is built,
   * so a spec that asks for too much fails before it has taken it. @default {NETWORK_MAX_VALUES}
   */
  maxValues?: number;
}

/** The keys of `BuildOptions`, checked at run time. */
export const BUILD_OPTION_KEYS: readonly string[] = optionKeys<BuildOptions>()(["registries", "seed", "maxValues"]);

/** The most layers a spec may have. */
export const NETWORK_MAX_LAYERS = 1000;
/** The most values (2^28: 1 GiB of float32) a network's layers may hold together, unless `maxValues` says more. */
export const NETWORK_MAX_VALUES: number = 2 ** 28;

/**
 * Builds a network from a JSON-able spec.
 *
 * @param spec The network spec (see `NetworkSpec`).
 * @param options Registries and seed.
 * @returns The network, ready to train.
 * @throws {SpecError} If the spec is invalid; the message names the field and the value.
 * @throws {SpecError} Also for an unknown layer, interface, optimizer or loss name; the message lists the known ones.
 * @throws {TypeError} If a plugin's factory returns something that is not a layer or an interface.
 *
 * @example Build a 784-256-10 classifier and print it
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetwork } from "../mod.ts";
 *
 * const net = buildNetwork({
 *   input: [784],
 *   layers: [{ type: "dense", units: 256, activation: "relu" }, { type: "dense", units: 10 }],
 *   loss: "softmax-cross-entropy",
 *   optimizer: { type: "adam", learningRate: 0.001 },
 * });
 * assert.equal(net.layers.length, 2);
 * assert.equal(net.interfaces[0]?.type, "backprop"); // the default interface
 * assert.deepEqual(buildNetwork(net.getSpec()).getSpec(), net.getSpec());
 * net.dispose();
 * ```
 */
export function buildNetwork(spec: NetworkSpec, options: BuildOptions = {}): Network {
  checkOptionKeys("buildNetwork()", options, BUILD_OPTION_KEYS);
  const { registries = defaultRegistries } = options;
  const s = checkObject("spec", spec, SPEC_FIELDS);
  if (isSequenceSpec(s)) return buildSequenceNetwork(spec, options);
  if (!Array.isArray(s.input) || s.input.length === 0) {
    throw new SpecError("input", s.input, "must be a non-empty array of positive integers (the shape of one example)");
  }
  const inputShape: number[] = s.input.map((d: unknown, i: number) => positiveInt(`input[${i}]`, d));
  const layerSpecs = s.layers;
  if (!Array.isArray(layerSpecs) || layerSpecs.length === 0) {
    throw new SpecError("layers", layerSpecs, "must be a non-empty array of layer specs");
  }
  if (layerSpecs.length > NETWORK_MAX_LAYERS) {
    throw new SpecError(
      "layers",
      `${layerSpecs.length} layers`,
      `must have at most ${NETWORK_MAX_LAYERS} layers (NETWORK_MAX_LAYERS)`,
    );
  }
  const maxValues = options.maxValues ?? NETWORK_MAX_VALUES;
  let values = 0;
  const seed = options.seed ?? (s.seed === undefined ? 0 : s.seed);
  if (typeof seed !== "number" || !Number.isInteger(seed)) throw new SpecError("seed", seed, "must be an integer");
  const lossName = nameOf("loss", s.loss ?? "softmax-cross-entropy");
  if (isRecord(s.loss)) checkObject("loss", s.loss, ["type"]);
  const lossFactory = lookup(registries.losses, lossName, "loss");
  const optimizerConfig = validateOptimizer(registries, s.optimizer ?? "adam", "optimizer");
  const layerOptimizers: OptimizerConfig[] = [];

  const random = new Random(seed);
  const layers: Layer[] = [];
  const interfaceConfigs: { config: InterfaceConfig; path: string }[] = [];
  const unlocks: { raw: unknown; layer: number }[] = [];
  const built: { layers: Layer[]; interfaces: NeuralInterface[]; unlocks: InputSynthesizer[] } = {
    layers,
    interfaces: [],
    unlocks: [],
  };
  try {
    let shape: Shape = inputShape;
    Array.from(layerSpecs).forEach((raw: unknown, i: number) => {
      const path = `layers[${i}]`;
      if (!isRecord(raw)) throw new SpecError(path, raw, "must be an object with a type");
      const { interface: iface, optimizer, forwardUnlock, ...config } = raw;
      layerOptimizers.push(
        optimizer === undefined ? optimizerConfig : validateOptimizer(registries, optimizer, `${path}.optimizer`),
      );
      const layerType = nameOf(`${path}.type`, config.type);
      const layerFactory = lookup(registries.layers, layerType, `${path}.type`);
      const isOutput = i === layerSpecs.length - 1;
      if (isOutput && iface !== undefined) {
        throw new SpecError(
          `${path}.interface`,
          iface,
          "must not be set: the output layer has no interface (its gradient comes from the loss)",
        );
      }
      if (isOutput && forwardUnlock !== undefined && forwardUnlock !== false) {
        throw new SpecError(
          `${path}.forwardUnlock`,
          forwardUnlock,
          "must not be set: the output layer has no layers above it to unlock",
        );
      }
      if (!isOutput && forwardUnlock !== undefined && forwardUnlock !== false) {
        unlocks.push({ raw: forwardUnlock, layer: i });
      }
      if (isOutput) lossFactory.checkOutput(config as LayerConfig, path);
      const layer = layerFactory(config as LayerConfig, { inputShape: shape, path, random: random.fork() });
      checkPlugin("layer", layerType, path, layer, LAYER_MEMBERS);
      layers.push(layer);
      values += [...layer.trainable, ...layer.state].reduce((n, v) => n + v.size, 0);
      if (values > maxValues) {
        throw new SpecError(
          path,
          `${values} values`,
          `would bring the network's layers to more than the ${maxValues} values ${
            options.maxValues === undefined ? "a network may hold (NETWORK_MAX_VALUES)" : "allowed here"
          }`,
        );
      }
      checkShapes(layer, layerType, path, shape);
      shape = layer.outputShape;
      if (isOutput && shape.length !== 1) {
        throw new SpecError(
          `${path}.type`,
          layerType,
          `is the output layer and gives ${showShape(shape)} per example; the loss needs a flat [classes]: end with ` +
            `{ "type": "flatten" } and a dense layer`,
        );
      }
      if (!isOutput) {
        const ipath = `${path}.interface`;
        const rawIface = iface ?? "backprop";
        const type = nameOf(ipath, rawIface);
        interfaceConfigs.push({
          config: typeof rawIface === "string" ? { type } : rawIface as InterfaceConfig,
          path: ipath,
        });
      }
    });
    const contextUnits = sizeOf(layers[layers.length - 1]!.outputShape);
    interfaceConfigs.forEach(({ config, path }, i) => {
      const factory = lookup(registries.interfaces, config.type, path);
      const iface = factory(config, {
        shape: layers[i]!.outputShape,
        units: sizeOf(layers[i]!.outputShape),
        contextUnits,
        path,
        random: random.fork(),
        optimizer: optimizerConfig,
        optimizers: registries.optimizers,
      });
      checkPlugin("interface", config.type, path, iface, INTERFACE_MEMBERS);
      built.interfaces.push(iface); // disposed if its declaration is wrong
      checkDecoupling(config.type, path, iface);
    });
    // After every layer and interface has drawn its weights, so that unlocking a layer leaves them as they were.
    const inputSynthesizers: (InputSynthesizer | undefined)[] = [];
    for (const { raw, layer } of unlocks) {
      const path = `layers[${layer}].forwardUnlock`;
      const iface = built.interfaces[layer]!;
      if (!iface.decouples) {
        throw new SpecError(
          path,
          raw,
          `needs a decoupling interface on layers[${layer}] (sg, csg, local-loss or a plugin's), not "${iface.type}", ` +
            `which waits for the message from the layers above`,
        );
      }
      const unlock = createInputSynthesizer(raw, {
        shape: layers[layer]!.outputShape,
        inputUnits: sizeOf(inputShape),
        contextUnits,
        path,
        random: random.fork(),
        optimizer: optimizerConfig,
        optimizers: registries.optimizers,
      });
      built.unlocks.push(unlock);
      inputSynthesizers[layer] = unlock;
    }
    return new Network({
      spec: {
        input: inputShape,
        layers: [],
        loss: lossName,
        optimizer: optimizerConfig,
        seed,
      },
      layers,
      interfaces: built.interfaces,
      loss: lossFactory.create(),
      optimizers: layerOptimizers.map((c) => registries.optimizers.get(c.type).create(c)),
      layerOptimizers: layerOptimizers.map((c) => c === optimizerConfig ? undefined : c),
      inputSynthesizers,
      plugins: registries.plugins,
    });
  } catch (error) {
    for (const layer of built.layers) layer.dispose();
    for (const iface of built.interfaces) iface.dispose();
    for (const unlock of built.unlocks) unlock.dispose();
    throw error;
  }
}
