// Private: writing a directory of files so that readers see either the old directory or the whole new one.
import { basename, dirname, join, resolve } from "node:path";
import { CheckpointError } from "../errors.ts";

/** File-system operations, replaceable in tests to inject failures. */
export interface FileOps {
  /** Writes a new file (and flushes it to disk). @default {writeFileSynced} */
  writeFile?: (path: string, bytes: Uint8Array) => Promise<void>;
  /** Renames a file or directory. @default {Deno.rename} */
  rename?: (from: string, to: string) => Promise<void>;
}

/** Writes `bytes` to a new file at `path` and waits until it is on disk. */
export async function writeFileSynced(path: string, bytes: Uint8Array): Promise<void> {
  const file = await Deno.open(path, { write: true, createNew: true });
  try {
    for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
    await file.sync();
  } finally {
    file.close();
  }
}

/**
 * The sibling names used while replacing `dir`: `.NAME.partial-PID-ID` (being written) and `.NAME.old-PID-ID`
 * (replaced); older versions wrote them without the PID.
 */
export function siblingPattern(dir: string): { parent: string; partial: RegExp; old: RegExp } {
  const name = basename(resolve(dir)).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return {
    parent: dirname(resolve(dir)),
    partial: new RegExp(`^\\.${name}\\.partial-`),
    old: new RegExp(`^\\.${name}\\.old-`),
  };
}

/**
 * Makes `dir` a directory holding exactly `files`: writes them into a sibling temporary directory, then renames it
 * into place. An existing `dir` is first renamed aside and removed only once the new one is in place; if anything
 * fails, the old one is put back and the temporary directory removed.
 *
 * @throws {CheckpointError} If it cannot be done; the message says what failed and that the old one is unchanged.
 */
export async function replaceDirectory(
  dir: string,
  files: { name: string; bytes: Uint8Array }[],
  { writeFile = writeFileSynced, rename = Deno.rename }: FileOps = {},
): Promise<void> {
  const target = resolve(dir);
  const parent = dirname(target);
  // The saving process's id in the names lets a later save tell whether their writer is gone (`_save_guard.ts`).
  const id = `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const partial = join(parent, `.${basename(target)}.partial-${id}`);
  const old = join(parent, `.${basename(target)}.old-${id}`);
  try {
    await Deno.mkdir(parent, { recursive: true });
    await Deno.mkdir(partial);
  } catch (error) {
    throw new CheckpointError(dir, `cannot be written (${(error as Error).message})`, { cause: error });
  }
  const existed = await Deno.lstat(target).then(() => true, () => false);
  let movedAside = false;
  try {
    for (const { name, bytes } of files) await writeFile(join(partial, name), bytes);
    if (existed) {
      await rename(target, old);
      movedAside = true;
    }
    await rename(partial, target);
  } catch (error) {
    await Deno.remove(partial, { recursive: true }).catch(() => {});
    let kept = existed ? "the previous checkpoint is unchanged" : "nothing was written";
    if (movedAside) {
      try {
        await rename(old, target);
      } catch {
        kept = `the previous checkpoint is in ${old}`;
      }
    }
    throw new CheckpointError(dir, `cannot be saved (${(error as Error).message}); ${kept}`, { cause: error });
  }
  if (movedAside) await Deno.remove(old, { recursive: true }).catch(() => {});
}
