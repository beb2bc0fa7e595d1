/**
 * `--backend NAME` and `--threads N` of `train`, `evaluate` and `compare`: which TF.js backend runs and how many
 * threads the BLAS library of the native backend uses; the command says both in one line once its input has been
 * checked (so that a bad input is still one line on stderr).
 *
 * @module
 */
import { backendLine, BACKENDS, defaultBackend, setBlasThreads, useBackend } from "../backend.ts";
import { choiceFlag, intFlag, UsageError } from "./args.ts";

/** The usage lines of `--backend` and `--threads`, for each command's help. */
export const BACKEND_USAGE = `  --backend NAME          ${
  BACKENDS.join(" | ")
} (default native when a BLAS library loads, else wasm)
  --threads N             BLAS threads of the native backend (default: the library's, usually one per core;
                          each Worker of --workers uses one)`;

/** The parseArgs options of `--backend` and `--threads`. */
export const BACKEND_OPTIONS = { backend: { type: "string" }, threads: { type: "string" } } as const;

/** The parsed `--backend` and `--threads`. */
export interface BackendFlags {
  /** The backend to run on. */
  backend: string;
  /** BLAS threads, when given. */
  threads?: number;
}

/** Reads `--backend` and `--threads` (checked, not yet applied). */
export function backendFlags(values: Record<string, unknown>): BackendFlags {
  const backend = choiceFlag(values, "backend", BACKENDS, defaultBackend());
  const threads = values.threads === undefined ? undefined : intFlag(values, "threads", 1, 1);
  return threads === undefined ? { backend } : { backend, threads };
}

/**
 * Starts the backend and sets the threads.
 *
 * @returns The line that says which backend runs and why (`backendLine()`), for the command to print.
 * @throws {UsageError} If the native backend was asked for and cannot run (naming why), or `--threads` was given
 *   for a library that cannot set them.
 */
export async function applyBackendFlags(flags: BackendFlags): Promise<string> {
  try {
    await useBackend(flags.backend);
  } catch (error) {
    throw new UsageError(`--backend ${flags.backend}: ${(error as Error).message}`);
  }
  if (flags.threads !== undefined) {
    if (flags.backend !== "native") throw new UsageError(`--threads sets BLAS threads: it needs --backend native`);
    if (!setBlasThreads(flags.threads)) {
      throw new UsageError(`--threads ${flags.threads}: this BLAS library does not let dni set its threads`);
    }
  }
  return backendLine();
}
