/**
 * Reading a spec file given on the command line (`--spec`, `--specs`, a reproduction table's rows): a regular file of
 * at most `MAX_JSON_FILE_BYTES`, parsed as JSON; a problem is a usage error naming the file.
 *
 * @module
 */
import { MAX_JSON_FILE_BYTES, readRegularTextFile } from "../_files.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { UsageError } from "./args.ts";

/** Reads and parses a spec file. */
export async function readSpec(path: string): Promise<NetworkSpec> {
  let text: string;
  try {
    text = await readRegularTextFile(path, {
      what: "a spec file",
      maxBytes: MAX_JSON_FILE_BYTES,
      fail: (problem, cause) => new Error(cause instanceof Error ? cause.message : problem),
    });
  } catch (error) {
    throw new UsageError(`Cannot read spec file ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`Spec file ${path} is not valid JSON: ${(error as Error).message}`);
  }
}
