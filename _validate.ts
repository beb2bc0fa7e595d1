// Private helpers that check spec fields and throw a SpecError naming the field and the value.
import { SpecError } from "./errors.ts";

/** A plain object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Checks that `value` is a plain object whose keys are all in `allowed`. `alsoKnown` lists fields that someone else
 * takes out before this check (a layer's `interface` and `optimizer`), for the error message.
 */
export function checkObject(
  path: string,
  value: unknown,
  allowed: readonly string[],
  alsoKnown?: string,
): Record<string, unknown> {
  if (!isRecord(value)) throw new SpecError(path, value, "must be an object");
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      const known = allowed.join(", ") + (alsoKnown ? `, ${alsoKnown}` : "");
      throw new SpecError(`${path}.${key}`, value[key], `is not a known field (known: ${known})`);
    }
  }
  return value;
}

/** A positive integer, or `fallback` when undefined and a fallback is given. */
export function positiveInt(path: string, value: unknown, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw new SpecError(path, value, "must be a positive integer");
  }
  return value;
}

/** A finite number > 0 (or >= 0 with `allowZero`), or `fallback` when undefined. */
export function positiveNumber(path: string, value: unknown, fallback?: number, allowZero = false): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new SpecError(path, value, `must be a finite number ${allowZero ? ">= 0" : "> 0"}`);
  }
  return value;
}

/** A number in [lo, hi], or `fallback` when undefined. */
export function numberIn(path: string, value: unknown, lo: number, hi: number, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < lo || value > hi) {
    throw new SpecError(path, value, `must be a number in [${lo}, ${hi}]`);
  }
  return value;
}

/** A boolean, or `fallback` when undefined. */
export function bool(path: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new SpecError(path, value, "must be true or false");
  return value;
}

/** One of `names`, or `fallback` when undefined. */
export function oneOf(path: string, value: unknown, names: readonly string[], fallback?: string): string {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== "string" || !names.includes(value)) {
    throw new SpecError(path, value, `must be one of ${names.join(", ")}`);
  }
  return value;
}
