// Private: looking names of a spec up in the registries, with errors that name the spec path.
import { SpecError } from "../errors.ts";
import { isRecord } from "../_validate.ts";
import type { OptimizerConfig } from "../optimizers/optimizer.ts";
import type { Registry } from "../registry.ts";
import type { Registries } from "./registries.ts";

// Validates an optimizer given by name or config, filling in its defaults.
export function validateOptimizer(registries: Registries, raw: unknown, path: string): OptimizerConfig {
  const factory = lookup(registries.optimizers, nameOf(path, raw), path);
  return factory.validate((typeof raw === "string" ? { type: raw } : raw) as OptimizerConfig, path);
}

// The name in a string-or-config field: "adam" or { type: "adam", ... }.
export function nameOf(path: string, value: unknown): string {
  if (typeof value === "string" && value.length > 0) return value;
  if (isRecord(value) && typeof value.type === "string" && value.type.length > 0) return value.type;
  throw new SpecError(path, value, 'must be a name or an object with a "type"');
}

// Looks a name up, prefixing the registry's "unknown name" error with the spec path.
export function lookup<F>(registry: Registry<F>, name: string, path: string): F {
  if (!registry.has(name)) {
    throw new SpecError(path, name, `is not a known ${registry.kind} (known: ${registry.names().join(", ")})`);
  }
  return registry.get(name);
}
