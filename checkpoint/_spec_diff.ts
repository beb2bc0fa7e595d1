// Private: where two JSON values first differ, for "this checkpoint is of another network" messages.
import { isRecord } from "../_validate.ts";
import { show } from "../errors.ts";

/**
 * The first place where `saved` and `current` differ, as `path: A in the checkpoint, B in the network`, or
 * undefined when they are equal. Object keys are compared in sorted order, `type` first (a layer or interface of
 * another type differs in its other fields too; its type is the difference to name).
 */
export function specDifference(saved: unknown, current: unknown, path = "spec"): string | undefined {
  if (Object.is(saved, current)) return undefined;
  if (Array.isArray(saved) && Array.isArray(current)) {
    if (saved.length !== current.length) {
      return `${path} has ${saved.length} entries in the checkpoint, ${current.length} in the network`;
    }
    for (let i = 0; i < saved.length; i++) {
      const d = specDifference(saved[i], current[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (isRecord(saved) && isRecord(current)) {
    const keys = [...new Set([...Object.keys(saved), ...Object.keys(current)])].sort((a, b) =>
      a === b ? 0 : a === "type" ? -1 : b === "type" ? 1 : a < b ? -1 : 1
    );
    for (const key of keys) {
      const d = specDifference(saved[key], current[key], path === "spec" ? key : `${path}.${key}`);
      if (d) return d;
    }
    return undefined;
  }
  return `${path}: ${show(saved)} in the checkpoint, ${show(current)} in the network`;
}
