// Private: what the network builders check of what a factory (a plugin's, perhaps) made.
import { show } from "../errors.ts";
import { missingMethods, type NeuralInterface } from "../interfaces/interface.ts";
import type { Layer, Shape } from "../layers/layer.ts";

export const LAYER_MEMBERS = [
  "forward",
  "backward",
  "getConfig",
  "dispose",
  "trainable",
  "state",
  "inputShape",
  "outputShape",
];
export const INTERFACE_MEMBERS = ["getConfig", "dispose", "variables"];

// A plugin layer must take the shape it was given and give a shape of positive integers.
export function checkShapes(layer: Layer, type: string, path: string, input: Shape): void {
  const fits = layer.inputShape.length === input.length && layer.inputShape.every((d, i) => d === input[i]);
  const valid = layer.outputShape.length > 0 && layer.outputShape.every((d) => Number.isInteger(d) && d > 0);
  if (!fits || !valid) {
    throw new TypeError(
      `The factory of layer "${type}" (${path}) made a layer of inputShape ${show(layer.inputShape)} and ` +
        `outputShape ${show(layer.outputShape)}, expected inputShape ${show(input)} and an outputShape of ` +
        `positive integers`,
    );
  }
}

// An interface declares whether it decouples, and has the methods that go with it.
export function checkDecoupling(type: string, path: string, iface: NeuralInterface): void {
  const decouples = (iface as { decouples?: unknown }).decouples;
  const missing = missingMethods(iface);
  if (missing === undefined || missing.length > 0) {
    throw new TypeError(
      `The factory of interface "${type}" (${path}) returned an interface that ${
        missing === undefined
          ? `does not declare decouples: true or false (got ${show(decouples)})`
          : `declares decouples: ${decouples} but lacks ${missing.join(", ")}`
      }`,
    );
  }
}

// Checks that a factory (a plugin's, perhaps) made something with the contract's methods and variable lists.
export function checkPlugin(kind: string, name: string, path: string, made: unknown, members: readonly string[]): void {
  const record = (typeof made === "object" && made !== null ? made : {}) as Record<string, unknown>;
  const missing = members.filter((m) =>
    ["trainable", "state", "variables", "inputShape", "outputShape"].includes(m)
      ? !Array.isArray(record[m])
      : typeof record[m] !== "function"
  );
  if (missing.length > 0) {
    throw new TypeError(
      `The factory of ${kind} "${name}" (${path}) returned ${
        made === null ? "null" : `a value of type ${typeof made}`
      } ` +
        `that is not ${kind === "interface" ? "an" : "a"} ${kind}: it lacks ${missing.join(", ")}`,
    );
  }
}
