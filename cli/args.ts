/**
 * Command-line parsing helpers on `node:util` parseArgs (deno std is not reachable here): strict flags, integer
 * values checked with a message that names the flag and the value.
 *
 * @module
 */
import { editDistance } from "../_option_keys.ts";
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A bad command line: the CLI prints the message and exits with status 2. */
export class UsageError extends Error {
  /** @param message What is wrong, naming the flag and the value. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Parses `args` against `options`, turning parseArgs' errors into `UsageError`s. An unknown option is named with
 * the command and, when one is close, the known option it was probably meant to be:
 * `Unknown option "--epoch" for "train" (did you mean --epochs?)`.
 *
 * @param command The command the options belong to, for the messages (e.g. `"train"`).
 */
export function parseFlags(
  args: string[],
  options: NonNullable<ParseArgsConfig["options"]>,
  command?: string,
): Record<string, string | boolean | undefined> {
  // `--seed -1`: a negative number is the flag's value (so its check can name it), not an unknown option.
  const joined = args.flatMap((arg, i) => {
    const previous = args[i - 1]?.match(/^--([^=]+)$/)?.[1];
    if (previous && options[previous]?.type === "string" && /^-\d/.test(arg)) return [];
    const name = arg.match(/^--([^=]+)$/)?.[1];
    const next = args[i + 1];
    return name && options[name]?.type === "string" && next !== undefined && /^-\d/.test(next)
      ? [`${arg}=${next}`]
      : [arg];
  });
  const unknown = firstUnknownOption(joined, options);
  if (unknown !== undefined) throw new UsageError(unknownOption(unknown, options, command));
  try {
    const { values, positionals } = parseArgs({ args: joined, options, strict: true, allowPositionals: true });
    if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}"`);
    return values as Record<string, string | boolean | undefined>;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message.split("\n").join(" ")); // one line
  }
}

// The first option in `args` that `options` lacks (`--name` of `--name=value`), skipping the values of string
// options and everything after `--`; a negative number is a value, not an option.
function firstUnknownOption(args: string[], options: NonNullable<ParseArgsConfig["options"]>): string | undefined {
  const shorts = new Map(Object.entries(options).flatMap(([name, o]) => o.short ? [[o.short, name]] : []));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") return undefined;
    if (!arg.startsWith("-") || arg === "-" || /^-\d/.test(arg)) continue;
    if (arg.startsWith("--")) {
      const name = arg.slice(2).split("=")[0]!;
      if (!Object.hasOwn(options, name)) return `--${name}`;
      if (options[name]!.type === "string" && !arg.includes("=")) i++; // its value
    } else {
      const letter = [...arg.slice(1)].find((c) => !shorts.has(c));
      if (letter !== undefined) return `-${letter}`;
    }
  }
  return undefined;
}

/** The message for an unknown option, with the closest known option when one is within a few edits. */
export function unknownOption(
  option: string,
  options: NonNullable<ParseArgsConfig["options"]>,
  command?: string,
): string {
  const name = option.replace(/^-+/, "");
  let best: string | undefined, bestDistance = Infinity;
  for (const known of Object.keys(options)) {
    const d = editDistance(name, known);
    if (d < bestDistance) [best, bestDistance] = [known, d];
  }
  // Close enough to be a typo: at most 2 edits, and fewer than half the option's letters.
  const suggest = best !== undefined && bestDistance <= Math.min(2, Math.floor(best.length / 2));
  return `Unknown option "${option}"${command ? ` for "${command}"` : ""}` +
    (suggest ? ` (did you mean --${best}?)` : "");
}

export { editDistance };

/** The integer value of `--name`, or `fallback`; must be >= `min`. */
export function intFlag(values: Record<string, unknown>, name: string, fallback: number, min: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const text = String(raw);
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`--${name} must be an integer >= ${min}, got "${text}"`);
  }
  return value;
}

/** `--seeds N` from `--seed S`: the seeds S, S+1, ..., S+N-1 (N at most 100), or `[S]` without it. */
export function seedsFlag(values: Record<string, unknown>, seed: number): number[] {
  const count = intFlag(values, "seeds", 1, 1);
  if (count > 100) throw new UsageError(`--seeds must be an integer in 1..100, got "${values.seeds}"`);
  return Array.from({ length: count }, (_, i) => seed + i);
}

/** The value of `--name` if it is one of `choices`, or `fallback`. */
export function choiceFlag(
  values: Record<string, unknown>,
  name: string,
  choices: readonly string[],
  fallback: string,
): string {
  const raw = values[name];
  if (raw === undefined) return fallback;
  if (!choices.includes(String(raw))) {
    throw new UsageError(`--${name} must be one of ${choices.join(", ")}, got "${raw}"`);
  }
  return String(raw);
}
