/**
 * Getting a dataset file's bytes: from the package itself (local or by URL), from a directory the user names,
 * or from a cache directory that is filled by download on request. Every file is checked against its SHA-256.
 *
 * @module
 */
import { bytesText, readRegularFile } from "../_files.ts";
import { DatasetError } from "../errors.ts";
import type { DatasetFile } from "./catalog.ts";

/** The SHA-256 of `bytes`, hex. */
export async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as BufferSource);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Throws unless `bytes` have the file's expected SHA-256.
 *
 * @throws {DatasetError} On a mismatch, naming both checksums.
 */
export async function verifySha256(bytes: Uint8Array, file: DatasetFile, where: string): Promise<void> {
  const actual = await sha256(bytes);
  if (actual !== file.sha256) {
    throw new DatasetError(where, `has SHA-256 ${actual}, expected ${file.sha256} (corrupt or a different file)`);
  }
}

/**
 * Reads a URL's bytes: `file:` URLs from disk, others with `fetch`. Returns null if it does not exist. A file is read
 * only once its `stat` says it is a regular file of at most `maxBytes` (not a FIFO, a device, a directory); a
 * download stops as soon as it is longer than that.
 *
 * @param url Where.
 * @param limit The most bytes the file may have, and what it is for messages (`mnist's train-images-idx3-ubyte.gz`).
 * @param fetcher The `fetch` for URLs that are not `file:`.
 * @throws {DatasetError} Naming the file and what is wrong: not a regular file, too large, unreadable, an HTTP error.
 */
export async function readUrl(
  url: URL,
  limit: { maxBytes: number; what: string },
  fetcher: typeof fetch = fetch,
): Promise<Uint8Array | null> {
  if (url.protocol === "file:") {
    const where = decodeURIComponent(url.pathname);
    try {
      return await readRegularFile(url, {
        ...limit,
        fail: (problem, cause) => cause instanceof Deno.errors.NotFound ? cause : new DatasetError(where, problem),
      });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
  }
  const response = await fetcher(url);
  if (response.status === 404) {
    await response.body?.cancel();
    return null;
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new DatasetError(url.href, `cannot be fetched: HTTP ${response.status} ${response.statusText}`);
  }
  return await boundedBody(response, url.href, limit);
}

// The body of a response, refused once it is longer than `maxBytes` (from its Content-Length, or while it arrives).
async function boundedBody(
  response: Response,
  where: string,
  { maxBytes, what }: { maxBytes: number; what: string },
): Promise<Uint8Array> {
  const tooLong = (size: string) =>
    new DatasetError(where, `is ${size}, more than the ${bytesText(maxBytes)} ${what} may have`);
  const declared = Number(response.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLong(bytesText(declared));
  }
  if (response.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of response.body) {
    length += chunk.length;
    if (length > maxBytes) throw tooLong(`over ${bytesText(maxBytes)}`);
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

/** The default cache directory: `$DNI_CACHE_DIR`, else `$XDG_CACHE_HOME/dni`, else `~/.cache/dni`. */
export function defaultCacheDir(): string {
  const env = (name: string) => {
    try {
      return Deno.env.get(name);
    } catch {
      return undefined;
    }
  };
  const explicit = env("DNI_CACHE_DIR");
  if (explicit) return explicit;
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/dni`;
  return `${env("HOME") ?? "."}/.cache/dni`;
}

/**
 * Writes `bytes` to `path` without ever leaving a half-written file: writes a temporary file beside it, then
 * renames it into place.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const dir = path.slice(0, path.lastIndexOf("/")) || ".";
  await Deno.mkdir(dir, { recursive: true });
  const temporary = `${path}.partial-${crypto.randomUUID()}`;
  try {
    await Deno.writeFile(temporary, bytes);
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}
