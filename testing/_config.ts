// Private: the "config" part. getConfig() is a JSON-able copy whose type is the registered name, the factory
// builds from it an interface with the same config, and a misspelt option is a SpecError, not silently ignored.
import { isDeepStrictEqual } from "node:util";
import type { InterfaceConfig, NeuralInterface } from "../interfaces/interface.ts";
import { isRecord } from "../_validate.ts";
import { show } from "../errors.ts";
import { build, call, errorText, factoryContext, type Fixture, quietDispose, Violation } from "./_fixture.ts";

/** The option name the check adds to show that unknown options are rejected. */
const UNKNOWN = "notAnOption";

/** @throws {Violation} At the first broken promise of getConfig() or the factory. */
export function checkConfig(f: Fixture): void {
  const built: NeuralInterface[] = [];
  try {
    const iface = build(f);
    built.push(iface);
    const config: unknown = call("getConfig()", () => iface.getConfig());
    if (!isRecord(config)) throw new Violation(`getConfig() returned ${show(config)}; expected a plain object`);
    if (config.type !== f.name) {
      throw new Violation(
        `getConfig().type is ${show(config.type)}; expected "${f.name}", the registered name (a spec written from ` +
          `getConfig() must build the same interface)`,
      );
    }
    if (iface.type !== config.type) {
      throw new Violation(
        `type is ${show(iface.type)} but getConfig().type is ${show(config.type)}; expected the same`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(JSON.stringify(config));
    } catch (error) {
      throw new Violation(`getConfig() is not JSON-able: JSON.stringify threw ${errorText(error)}`);
    }
    const lost = Object.keys(config).find((key) =>
      !isDeepStrictEqual((json as Record<string, unknown>)[key], config[key])
    );
    if (lost !== undefined) {
      throw new Violation(
        `getConfig() is not JSON-able: getConfig().${lost} is ${kind(config[lost])}, which comes back from JSON as ` +
          `${show((json as Record<string, unknown>)[lost])}; expected JSON values only (strings, finite numbers, ` +
          `booleans, null, arrays, plain objects)`,
      );
    }
    (config as Record<string, unknown>)[UNKNOWN] = 1;
    const again = call("getConfig()", () => iface.getConfig());
    if (isRecord(again) && UNKNOWN in again) {
      throw new Violation(
        "getConfig() returned its own object: a caller's change showed up in the next call; " +
          "expected a copy each time",
      );
    }
    const rebuilt = build(f, json as InterfaceConfig);
    built.push(rebuilt);
    const round = call("getConfig() of the rebuilt interface", () => rebuilt.getConfig());
    if (!isDeepStrictEqual(round, json)) {
      throw new Violation(
        `the interface built from getConfig() = ${show(json)} has getConfig() = ${show(round)}; expected the same ` +
          `(config round trip)`,
      );
    }
    checkUnknownOption(f, json as InterfaceConfig, built);
  } finally {
    built.forEach(quietDispose);
  }
}

function checkUnknownOption(f: Fixture, config: InterfaceConfig, built: NeuralInterface[]): void {
  const field = `layers[0].interface.${UNKNOWN}`;
  let error: unknown;
  try {
    built.push(f.factory({ ...structuredClone(config), [UNKNOWN]: 1 }, factoryContext(f)));
  } catch (e) {
    error = e;
  }
  if (error === undefined) {
    throw new Violation(
      `the factory accepted a config with an unknown option "${UNKNOWN}"; expected a SpecError naming ${field} ` +
        `(a misspelt option must not be silently ignored)`,
    );
  }
  if (!(error instanceof Error) || error.name !== "SpecError" || !error.message.includes(UNKNOWN)) {
    throw new Violation(
      `the factory, given an unknown option "${UNKNOWN}", threw ${
        errorText(error)
      }; expected a SpecError naming ${field}`,
    );
  }
}

// What a config value is, for messages: "a Float32Array", "undefined", "NaN".
function kind(value: unknown): string {
  if (value === null || typeof value !== "object") return typeof value === "string" ? show(value) : String(value);
  const name = Object.getPrototypeOf(value)?.constructor?.name;
  return name && name !== "Object" && name !== "Array" ? `a ${name}` : show(value);
}
