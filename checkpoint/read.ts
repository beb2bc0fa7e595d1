/**
 * `readCheckpoint`: a checkpoint directory's files, checked against its manifest (format, version, lengths,
 * SHA-256) before anything is built from them.
 *
 * @module
 */
import { join } from "node:path";
import { MAX_JSON_FILE_BYTES, readRegularFile, type ReadRegularFileOptions } from "../_files.ts";
import { sha256 } from "../datasets/files.ts";
import { CheckpointError } from "../errors.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { siblingPattern } from "./_replace_directory.ts";
import { CHECKPOINT_FILES, type CheckpointManifest, parseManifest } from "./format.ts";

/** A checkpoint read from disk, its files checked against the manifest. */
export interface Checkpoint {
  /** The directory. */
  dir: string;
  /** The manifest. */
  manifest: CheckpointManifest;
  /** The network spec (`spec.json`). */
  spec: NetworkSpec;
  /** The bytes of the weights file. */
  weights: Uint8Array;
}

/**
 * Reads the checkpoint in `dir` and checks it: the manifest's format, version and fields, the SHA-256 of
 * `spec.json`, and the length and SHA-256 of the weights file. Each file is read only once its `stat` says it is a
 * regular file (not a FIFO, device or directory) of an allowed size: the manifest and the spec at most 16 MiB, the
 * weights exactly the manifest's bytes; so a wrong-sized weights file is refused before it is read.
 *
 * @throws {CheckpointError} Naming the file and what is wrong: missing, not a regular file, too large, not JSON,
 *   another format or version, wrong length, checksum mismatch.
 *
 * @example
 * ```ts
 * import { readCheckpoint } from "./read.ts";
 * try {
 *   await readCheckpoint("/no/such/checkpoint");
 * } catch (e) {
 *   console.assert((e as Error).message === "Checkpoint /no/such/checkpoint: does not exist");
 * }
 * ```
 */
export async function readCheckpoint(dir: string): Promise<Checkpoint> {
  await checkDirectory(dir);
  const manifestPath = join(dir, CHECKPOINT_FILES.manifest);
  const manifestBytes = await readFile(manifestPath, { what: "a manifest", maxBytes: MAX_JSON_FILE_BYTES });
  const manifest = parseManifest(new TextDecoder().decode(manifestBytes), manifestPath);
  const specPath = join(dir, manifest.spec.file);
  const specBytes = await readFile(specPath, { what: "a spec file", maxBytes: MAX_JSON_FILE_BYTES });
  const specSum = await sha256(specBytes);
  if (specSum !== manifest.spec.sha256) {
    throw new CheckpointError(
      specPath,
      `has SHA-256 ${specSum}, the manifest expects ${manifest.spec.sha256} (edited, corrupt, or from another checkpoint)`,
    );
  }
  let spec: NetworkSpec;
  try {
    spec = JSON.parse(new TextDecoder().decode(specBytes));
  } catch (error) {
    throw new CheckpointError(specPath, `is not valid JSON (${(error as Error).message})`);
  }
  const weightsPath = join(dir, manifest.weights.file);
  // Its size is checked from its stat, before it is read: never more than the manifest's bytes are read.
  const weights = await readFile(weightsPath, {
    what: "a weights file",
    maxBytes: manifest.weights.bytes,
    expect: { bytes: manifest.weights.bytes, by: "the manifest", hint: "truncated, or from another save" },
  });
  const weightsSum = await sha256(weights);
  if (weightsSum !== manifest.weights.sha256) {
    throw new CheckpointError(
      weightsPath,
      `has SHA-256 ${weightsSum}, the manifest expects ${manifest.weights.sha256} (corrupt, or from another save)`,
    );
  }
  return { dir, manifest, spec, weights };
}

async function checkDirectory(dir: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new CheckpointError(dir, `cannot be read (${(error as Error).message})`, { cause: error });
    }
    // A save interrupted between its two renames leaves the previous checkpoint beside it: say where.
    const { parent, old } = siblingPattern(dir);
    const aside: string[] = [];
    try {
      for await (const entry of Deno.readDir(parent)) if (old.test(entry.name)) aside.push(join(parent, entry.name));
    } catch {
      // no parent: nothing aside
    }
    throw new CheckpointError(
      dir,
      aside.length > 0
        ? `does not exist; an interrupted save left the previous checkpoint in ${aside.join(", ")} (rename it back)`
        : "does not exist",
    );
  }
  if (!info.isDirectory) throw new CheckpointError(dir, "is not a directory (a checkpoint is a directory)");
}

// A file of the checkpoint, once stat says it is a regular file of the size allowed (see _files.ts).
function readFile(path: string, options: Omit<ReadRegularFileOptions, "fail">): Promise<Uint8Array> {
  return readRegularFile(path, {
    ...options,
    fail: (problem, cause) =>
      cause instanceof Deno.errors.NotFound
        ? new CheckpointError(path, "is missing")
        : new CheckpointError(path, problem, cause === undefined ? undefined : { cause }),
  });
}
