// Private: reading a file only once it is known to be a regular file of a plausible size. Every file dni reads (a
// spec, a dataset file, a checkpoint's manifest, spec and weights, a text dataset, a NATS CA file) goes through `readRegularFile`,
// and a local plugin module through `checkRegularFile` before Deno's loader reads it, so that a FIFO (whose open() blocks forever), a device (`/dev/zero` reads without end), a directory or a file far
// larger than it may be (a sparse 2 GiB weights file) is refused from its `stat`, before anything is read.
//
// What is left open: a file swapped for a FIFO between the `stat` and the `open` still blocks the open (Deno cannot
// open with O_NONBLOCK); a regular file swapped for another is caught by the second `stat` of the open file, and a
// file that grows or shrinks while it is read is refused. Memory is bounded by the size `stat` gave (at most
// `maxBytes`): the bytes are read in chunks into one buffer of that size, and nothing more is read.

// Bytes per read call.
const CHUNK_BYTES = 1024 * 1024;

/** The most bytes a JSON file (a spec, a checkpoint's manifest) may have: 16 MiB. */
export const MAX_JSON_FILE_BYTES = 16 * 1024 * 1024;

/** The most bytes a text dataset (`--dataset text:PATH`) may have: 256 MiB (V8's strings stop at 512 Mi chars). */
export const MAX_TEXT_FILE_BYTES = 256 * 1024 * 1024;

/** The most bytes a local plugin module may have: 64 MiB. */
export const MAX_PLUGIN_FILE_BYTES = 64 * 1024 * 1024;

/** Options of `readRegularFile`. */
export interface ReadRegularFileOptions {
  /** What the file is, for the message on a size above `maxBytes`: `a manifest`, `a spec file`. */
  what: string;
  /** Refuse a file of more bytes than this, before reading it. */
  maxBytes: number;
  /**
   * Refuse a file of any other size, before reading it: the size, who says so (`the manifest`) and a hint on what a
   * mismatch means (`truncated, or from another save`).
   */
  expect?: { bytes: number; by: string; hint?: string };
  /**
   * Makes the error to throw for `problem` (e.g. `is a FIFO (named pipe), not a regular file`), in the caller's own
   * error class and wording. `cause` is the underlying error, if any: a `Deno.errors.NotFound` when the file does not
   * exist.
   */
  fail: (problem: string, cause?: unknown) => Error;
}

/** `12345 bytes`, with the size in KiB, MiB or GiB when it is that large. */
export function bytesText(bytes: number): string {
  const units = [["GiB", 2 ** 30], ["MiB", 2 ** 20], ["KiB", 2 ** 10]] as const;
  const unit = units.find(([, size]) => bytes >= size);
  if (unit === undefined) return `${bytes} bytes`;
  const scaled = bytes / unit[1];
  return `${bytes} bytes (${Number.isInteger(scaled) ? scaled : scaled.toFixed(1)} ${unit[0]})`;
}

/**
 * Checks, with `stat` (following links), that `path` is a regular file whose size `options` allow; returns its
 * information. Nothing is opened.
 *
 * @throws What `options.fail` makes: for a missing file (its cause a `Deno.errors.NotFound`), a file that cannot be
 *   examined, a directory, FIFO, socket or device (naming a link's target), or a size that is not allowed.
 */
export async function checkRegularFile(path: string | URL, options: ReadRegularFileOptions): Promise<Deno.FileInfo> {
  const { fail } = options;
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw fail("does not exist", error);
    throw fail(`cannot be read (${(error as Error).message})`, error);
  }
  if (!info.isFile) throw fail(`${await kindOf(path, info)}, not a regular file`);
  checkSize(info.size, options);
  return info;
}

/**
 * Reads `path` whole, once `checkRegularFile` allows it; then checks again, on the open file, that it is still a
 * regular file of that size, and reads exactly that many bytes.
 *
 * @returns The file's bytes.
 * @throws What `options.fail` makes (see `checkRegularFile`), or for a file that changes while it is read.
 *
 * @example A FIFO is refused without being opened
 * ```ts
 * import assert from "node:assert/strict";
 * import { readRegularFile } from "./_files.ts";
 *
 * const fail = (problem: string) => new Error(`Spec file spec.json: ${problem}`);
 * const dir = await Deno.makeTempDir();
 * await new Deno.Command("mkfifo", { args: [`${dir}/spec.json`] }).output();
 * await assert.rejects(
 *   readRegularFile(`${dir}/spec.json`, { what: "a spec file", maxBytes: 1024, fail }),
 *   /^Error: Spec file spec.json: is a FIFO \(named pipe\), not a regular file$/,
 * );
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readRegularFile(path: string | URL, options: ReadRegularFileOptions): Promise<Uint8Array> {
  const { fail } = options;
  const before = await checkRegularFile(path, options);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw fail("does not exist", error);
    throw fail(`cannot be read (${(error as Error).message})`, error);
  }
  // An I/O error of the open file, in the caller's wording.
  const io = async <T>(op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (error) {
      throw fail(`cannot be read (${(error as Error).message})`, error);
    }
  };
  try {
    const now = await io(() => file.stat());
    if (!now.isFile) throw fail(`${await kindOf(path, now)}, not a regular file (it was replaced while opened)`);
    if (now.size !== before.size) {
      throw fail(`changed size while it was opened (${before.size} bytes, then ${now.size})`);
    }
    const bytes = new Uint8Array(now.size);
    let filled = 0;
    while (filled < bytes.length) {
      const chunk = bytes.subarray(filled, Math.min(bytes.length, filled + CHUNK_BYTES));
      const n = await io(() => file.read(chunk));
      if (n === null) throw fail(`shrank while it was read (${filled} of ${bytes.length} bytes)`);
      filled += n;
    }
    if (await io(() => file.read(new Uint8Array(1))) !== null) {
      throw fail(`grew while it was read (past ${bytes.length} bytes)`);
    }
    return bytes;
  } finally {
    file.close();
  }
}

/** `readRegularFile`, decoded as UTF-8 (a bad sequence becomes U+FFFD, as `Deno.readTextFile` does). */
export async function readRegularTextFile(path: string | URL, options: ReadRegularFileOptions): Promise<string> {
  return new TextDecoder().decode(await readRegularFile(path, options));
}

function checkSize(size: number, { what, maxBytes, expect, fail }: ReadRegularFileOptions): void {
  if (expect !== undefined && size !== expect.bytes) {
    throw fail(`has ${size} bytes, ${expect.by} expects ${expect.bytes}${expect.hint ? ` (${expect.hint})` : ""}`);
  }
  if (size > maxBytes) throw fail(`is ${bytesText(size)}, more than the ${bytesText(maxBytes)} ${what} may have`);
}

// `is a FIFO (named pipe)`, `is a character device (a link to /dev/zero)`, ...
async function kindOf(path: string | URL, info: Deno.FileInfo): Promise<string> {
  const kind = info.isDirectory
    ? "a directory"
    : info.isFifo
    ? "a FIFO (named pipe)"
    : info.isCharDevice
    ? "a character device"
    : info.isBlockDevice
    ? "a block device"
    : info.isSocket
    ? "a socket"
    : "something else";
  let target: string | undefined;
  try {
    if ((await Deno.lstat(path)).isSymlink) target = await Deno.realPath(path);
  } catch {
    // gone or unreadable meanwhile: name the kind alone
  }
  return target === undefined ? `is ${kind}` : `is ${kind} (a link to ${target})`;
}
