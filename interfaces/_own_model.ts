// Private: the options an interface with a model of its own shares (a synthesizer, a local classifier): the hidden
// widths and the model's optimizer, checked with errors that name the field and the value.
import { isRecord, positiveInt } from "../_validate.ts";
import { SpecError } from "../errors.ts";
import type { OptimizerConfig } from "../optimizers/optimizer.ts";
import type { InterfaceContext } from "./interface.ts";

/** `hidden`: an array of positive widths, `[]` when left out. */
export function hiddenWidths(path: string, hidden: unknown): number[] {
  const value = hidden ?? [];
  if (!Array.isArray(value)) throw new SpecError(`${path}.hidden`, value, "must be an array of layer widths");
  return value.map((w, i) => positiveInt(`${path}.hidden[${i}]`, w));
}

/** `optimizer`: a name or config, the network's when left out, validated with its defaults filled in. */
export function ownOptimizer(
  path: string,
  raw: unknown,
  context: Pick<InterfaceContext, "optimizer" | "optimizers">,
): OptimizerConfig {
  const value = raw ?? context.optimizer;
  const type = typeof value === "string" ? value : isRecord(value) ? value.type : undefined;
  if (typeof type !== "string" || !context.optimizers.has(type)) {
    throw new SpecError(
      `${path}.optimizer`,
      value,
      `is not a known optimizer (known: ${context.optimizers.names().join(", ")})`,
    );
  }
  return context.optimizers.get(type).validate(
    (typeof value === "string" ? { type: value } : value) as OptimizerConfig,
    `${path}.optimizer`,
  );
}

/**
 * The default rate of an interface's own model (a synthesizer of `sg`/`csg`, the classifier of `local-loss`): this
 * many times the network's learning rate. Its targets move as fast as the layers learn, so it must learn faster;
 * measured on MNIST and Fashion-MNIST FCN-3 (docs/race.md#the-own-models-learning-rate).
 */
export const OWN_MODEL_RATE = 3;

/** `config` at `factor` times its learning rate (schedule and other settings kept). */
export function fasterOptimizer(config: OptimizerConfig, factor: number): OptimizerConfig {
  const rate = config.learningRate;
  return typeof rate === "number" ? { ...config, learningRate: rate * factor } : config;
}
