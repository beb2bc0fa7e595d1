// Private: what keeps saves to one checkpoint directory apart, and what a save killed midway left behind.
//
// Saves to one directory take turns through an exclusive advisory lock (flock) on the file `.NAME.lock` beside it
// (holding the holder's process id, for messages); the operating system releases it when its process ends, however
// it ends, so a killed save never blocks the next. The holder removes the file before letting go; whoever locked the
// removed file meanwhile sees it is no longer the named one and tries again.
//
// A save writes `.NAME.partial-PID-ID` and moves the previous checkpoint aside to `.NAME.old-PID-ID`. Holding the
// lock, a save knows that every such sibling was left by a save that is gone (a live one would hold the lock), and
// cleans them: a partial one is removed; an old one is removed if the checkpoint is in place, else renamed back (it is
// then the only copy of the previous checkpoint). Names without a process id (older versions of dni, which took no
// lock) are left alone.
import { basename, dirname, join, resolve } from "node:path";
import { CheckpointError } from "../errors.ts";

/** The sibling names of `dir` that saves use. */
export function saveNames(dir: string): { parent: string; lock: string; tagged: RegExp } {
  const target = resolve(dir);
  const base = basename(target);
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return {
    parent: dirname(target),
    lock: join(dirname(target), `.${base}.lock`),
    tagged: new RegExp(`^\\.${escaped}\\.(partial|old)-\\d+-[0-9a-f]+$`),
  };
}

/** What `cleanDeadSaves` did. */
export interface CleanedSave {
  /** `removed` (a partial save, or an old checkpoint already replaced) or `restored` (renamed back into place). */
  action: "removed" | "restored";
  /** The sibling directory. */
  path: string;
}

/** Cleans what saves to `dir` killed midway left beside it (see the module's comment). Call it holding the lock. */
export async function cleanDeadSaves(dir: string): Promise<CleanedSave[]> {
  const { parent, tagged } = saveNames(dir);
  const target = resolve(dir);
  const found: { kind: string; path: string }[] = [];
  try {
    for await (const entry of Deno.readDir(parent)) {
      const m = tagged.exec(entry.name);
      if (m && entry.isDirectory) found.push({ kind: m[1]!, path: join(parent, entry.name) });
    }
  } catch {
    return []; // no parent yet: nothing left behind
  }
  const done: CleanedSave[] = [];
  for (const f of found.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === "partial" ? -1 : 1))) {
    const inPlace = await Deno.lstat(target).then(() => true, () => false);
    if (f.kind === "old" && !inPlace) {
      await Deno.rename(f.path, target);
      done.push({ action: "restored", path: f.path });
    } else {
      await Deno.remove(f.path, { recursive: true });
      done.push({ action: "removed", path: f.path });
    }
  }
  return done;
}

/** A live process holds the save lock of a checkpoint directory. */
export class SaveLockBusy extends Error {
  /**
   * @param lock The lock file.
   * @param holder What the lock file says of its holder (a process id), if anything.
   */
  constructor(readonly lock: string, readonly holder: string) {
    super(`is being saved by process ${holder || "(unknown)"} (lock ${lock})`);
    this.name = "SaveLockBusy";
  }
}

/**
 * Takes the save lock of `dir`, waiting up to `waitMs` while another process (or another save of this one) holds it.
 *
 * @returns The function that releases it.
 * @throws {SaveLockBusy} If it is still held after `waitMs`.
 */
export async function takeSaveLock(dir: string, waitMs = 60_000): Promise<() => Promise<void>> {
  const { parent, lock } = saveNames(dir);
  const deadline = Date.now() + waitMs;
  for (;;) {
    let file: Deno.FsFile;
    try {
      await Deno.mkdir(parent, { recursive: true });
      file = await Deno.open(lock, { read: true, write: true, create: true });
    } catch (error) {
      throw new CheckpointError(dir, `cannot be locked for saving (${(error as Error).message})`, { cause: error });
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const locked = await Promise.race([
      file.lock(true).then(() => true),
      new Promise<false>((r) => timer = setTimeout(() => r(false), Math.max(0, deadline - Date.now()))),
    ]);
    clearTimeout(timer);
    if (!locked) {
      const holder = (await Deno.readTextFile(lock).catch(() => "")).trim();
      file.close(); // the pending lock call ends when its holder lets go, and then lets go itself
      throw new SaveLockBusy(lock, holder);
    }
    // The holder before us may have removed the file as it let go: then this lock is on a file nobody else sees.
    const [held, named] = [await file.stat(), await Deno.stat(lock).catch(() => null)];
    if (named === null || held.ino !== named.ino) {
      file.close();
      continue;
    }
    await file.truncate(0);
    await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
    return async () => {
      await Deno.remove(lock).catch(() => {}); // while still holding it, so that no one locks the removed file
      file.close(); // closing releases the lock
    };
  }
}
