/**
 * `loadDataset`: MNIST (shipped in this package), Fashion-MNIST (from `dataDir`, or downloaded into a cache),
 * parsed from the original IDX files and checked against their SHA-256.
 *
 * @module
 */
import { DatasetError } from "../errors.ts";
import { CATALOG, type CatalogEntry, DATASET_NAMES, type DatasetFile } from "./catalog.ts";
import type { Dataset, Split } from "./dataset.ts";
import { defaultCacheDir, readUrl, verifySha256, writeFileAtomic } from "./files.ts";
import { checkImagesAndLabels, readIdx } from "./idx.ts";

/** Options of `loadDataset`. */
export interface LoadOptions {
  /** Read the files from this directory (`DIR/NAME/FILE` or `DIR/FILE`), e.g. `../shared/datasets`. */
  dataDir?: string;
  /** Where downloaded files are kept. @default {defaultCacheDir()} */
  cacheDir?: string;
  /** Download missing files from the canonical URL into the cache. @default {true} */
  download?: boolean;
  /** Use only the first N training examples. */
  trainCount?: number;
  /** Use only the first N test examples. */
  testCount?: number;
  /** The `fetch` used for downloads. @default {globalThis.fetch} */
  fetch?: typeof fetch;
  /** Called with a line of text when something slow happens (a download). */
  onProgress?: (message: string) => void;
}

/**
 * Loads a dataset by name: `mnist` (shipped, works offline) or `fashion-mnist`.
 *
 * @param name A name from the catalog.
 * @param options Where to look, what to keep.
 * @returns The dataset, inputs scaled to [0, 1].
 * @throws {RangeError} For an unknown name (the known ones are listed).
 * @throws {DatasetError} For a missing, corrupt or mismatched file.
 *
 * @example Load 1000 MNIST training examples
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadDataset } from "../mod.ts";
 *
 * const mnist = await loadDataset("mnist", { trainCount: 1000, testCount: 100 });
 * assert.equal(mnist.features, 784);
 * assert.equal(mnist.classes, 10);
 * assert.equal(mnist.train.count, 1000);
 * assert.equal(mnist.train.x.length, 1000 * 784);
 * assert.ok(mnist.train.x.every((v) => v >= 0 && v <= 1));
 * ```
 */
export async function loadDataset(name: string, options: LoadOptions = {}): Promise<Dataset> {
  const entry = CATALOG[name];
  if (entry === undefined) {
    throw new RangeError(`Unknown dataset "${name}": known datasets are ${DATASET_NAMES.join(", ")}`);
  }
  const read = (file: DatasetFile) => fileBytes(name, entry, file, options);
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    read(entry.files.trainImages),
    read(entry.files.trainLabels),
    read(entry.files.testImages),
    read(entry.files.testLabels),
  ]);
  const train = await split(trainImages, trainLabels, entry, options.trainCount);
  const test = await split(testImages, testLabels, entry, options.testCount);
  return { name, features: train.features, classes: entry.classes, train: train.split, test: test.split };
}

async function split(
  images: { bytes: Uint8Array; where: string },
  labels: { bytes: Uint8Array; where: string },
  entry: CatalogEntry,
  limit: number | undefined,
): Promise<{ split: Split; features: number }> {
  const img = await readIdx(images.bytes, images.where, 3);
  const lab = await readIdx(labels.bytes, labels.where, 1);
  checkImagesAndLabels(img, lab, { images: images.where, labels: labels.where }, entry.classes);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new RangeError(`Example count must be a positive integer, got ${limit}`);
  }
  const count = Math.min(img.dims[0]!, limit ?? Infinity);
  const features = img.dims[1]! * img.dims[2]!;
  const x = new Float32Array(count * features);
  for (let i = 0; i < x.length; i++) x[i] = img.data[i]! / 255;
  return { split: { x, labels: lab.data.slice(0, count), count }, features };
}

// Finds a file's bytes (dataDir, else shipped copy, else cache, else download) and verifies its SHA-256.
async function fileBytes(
  name: string,
  entry: CatalogEntry,
  file: DatasetFile,
  options: LoadOptions,
): Promise<{ bytes: Uint8Array; where: string }> {
  const { dataDir, cacheDir = defaultCacheDir(), download = true, fetch: fetcher = fetch, onProgress } = options;
  // No file (or download) of more bytes than the real one is read.
  const limit = { maxBytes: file.bytes, what: `${name}'s ${file.name}` };
  if (dataDir !== undefined) {
    await checkDirectory(dataDir);
    const tried: string[] = [];
    for (const path of [`${dataDir}/${name}/${file.name}`, `${dataDir}/${file.name}`]) {
      tried.push(path);
      const bytes = await readUrl(toFileUrl(path), limit);
      if (bytes) {
        await verifySha256(bytes, file, path);
        return { bytes, where: path };
      }
    }
    throw new DatasetError(tried.join(" or "), `not found in data directory ${dataDir}`);
  }
  if (entry.shipped) {
    const url = new URL(`./data/${name}/${file.name}`, import.meta.url);
    const bytes = await readUrl(url, limit);
    if (!bytes) throw new DatasetError(url.href, "is missing from the package");
    await verifySha256(bytes, file, url.protocol === "file:" ? url.pathname : url.href);
    return { bytes, where: url.href };
  }
  const cached = `${cacheDir}/${name}/${file.name}`;
  const bytes = await readUrl(toFileUrl(cached), limit);
  if (bytes) {
    await verifySha256(bytes, file, cached);
    return { bytes, where: cached };
  }
  if (!download) {
    throw new DatasetError(cached, "not found in the cache, and downloading is off (pass a data directory)");
  }
  const url = new URL(file.name, entry.baseUrl);
  onProgress?.(`downloading ${url.href}`);
  // Where the files can come from instead: a data directory of one's own (--data-dir, `dataDir`).
  const files = Object.values(entry.files).map((f) => f.name).join(", ");
  const instead = `; or put ${files} in a directory DIR (as DIR/${name}/FILE or DIR/FILE) and pass --data-dir DIR ` +
    `(dataDir in loadDataset)`;
  let fetched: Uint8Array | null;
  try {
    fetched = await readUrl(url, limit, fetcher);
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    throw new DatasetError(url.href, `cannot be downloaded (${(error as Error).message})${instead}`);
  }
  if (!fetched) throw new DatasetError(url.href, `was not found on the server (HTTP 404)${instead}`);
  await verifySha256(fetched, file, url.href);
  await writeFileAtomic(cached, fetched);
  return { bytes: fetched, where: cached };
}

async function checkDirectory(dir: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    throw new DatasetError(dir, `data directory cannot be read (${(error as Error).message})`);
  }
  if (!info.isDirectory) throw new DatasetError(dir, "is not a directory");
}

function toFileUrl(path: string): URL {
  const absolute = path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
  return new URL(`file://${absolute.split("/").map(encodeURIComponent).join("/")}`);
}
