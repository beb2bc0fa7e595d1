/**
 * Command-line parsing helpers on `node:util` parseArgs (deno std is not reachable here): strict flags, integer
 * values checked with a message that names the flag and the value.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A bad command line: the CLI prints the message and exits with status 2. */
export class UsageError extends Error {
  /** @param message What is wrong, naming the flag and the value. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Parses `args` against `options`, turning parseArgs' errors into `UsageError`s. */
export function parseFlags(
  args: string[],
  options: NonNullable<ParseArgsConfig["options"]>,
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
  try {
    const { values, positionals } = parseArgs({ args: joined, options, strict: true, allowPositionals: true });
    if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}"`);
    return values as Record<string, string | boolean | undefined>;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message.split("\n").join(" ")); // one line
  }
}

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
