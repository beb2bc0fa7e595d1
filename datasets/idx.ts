/**
 * The IDX file format of MNIST and Fashion-MNIST (gzip or raw): a big-endian header (two zero bytes, a type
 * byte, the number of dimensions, one uint32 per dimension) followed by the data.
 *
 * @module
 */
import { DatasetError } from "../errors.ts";

/** A parsed IDX file of unsigned bytes. */
export interface IdxArray {
  /** The dimensions, e.g. [60000, 28, 28]. */
  dims: number[];
  /** The data, row-major. */
  data: Uint8Array;
}

/** Whether `bytes` start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decompresses gzip bytes.
 *
 * @throws {DatasetError} If the bytes are not gzip or the stream is corrupt or truncated.
 */
export async function gunzip(bytes: Uint8Array, file: string): Promise<Uint8Array> {
  if (!isGzip(bytes)) throw new DatasetError(file, "is not gzip data (no gzip magic number 1f 8b)");
  try {
    const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (error) {
    throw new DatasetError(file, `is corrupt or truncated gzip data (${(error as Error).message})`);
  }
}

/**
 * Parses an IDX file of unsigned bytes (type 0x08), checking its magic number, dimensions and length.
 *
 * @param bytes The file's bytes, uncompressed.
 * @param file The file's name, for messages.
 * @param expectedRank The number of dimensions the caller needs (1 for labels, 3 for images).
 * @throws {DatasetError} If the header or the length is wrong.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIdx } from "../mod.ts";
 *
 * // magic number 0x00000801 (unsigned bytes, one dimension), the dimension (3), then the data
 * const bytes = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]);
 * const labels = parseIdx(bytes, "labels", 1);
 * assert.deepEqual(labels.dims, [3]);
 * assert.deepEqual([...labels.data], [7, 8, 9]);
 * ```
 */
export function parseIdx(bytes: Uint8Array, file: string, expectedRank: number): IdxArray {
  if (bytes.length < 4) throw new DatasetError(file, `is too short for an IDX header (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const expectedMagic = 0x0800 + expectedRank;
  if (magic !== expectedMagic) {
    throw new DatasetError(
      file,
      `has magic number 0x${magic.toString(16).padStart(8, "0")}, expected 0x${
        expectedMagic.toString(16).padStart(8, "0")
      } (unsigned bytes, ${expectedRank} dimension${expectedRank > 1 ? "s" : ""})`,
    );
  }
  const headerLength = 4 + 4 * expectedRank;
  if (bytes.length < headerLength) {
    throw new DatasetError(file, `is truncated inside its header (${bytes.length} of ${headerLength} bytes)`);
  }
  const dims = Array.from({ length: expectedRank }, (_, i) => view.getUint32(4 + 4 * i));
  if (dims.some((d) => d === 0)) throw new DatasetError(file, `has a zero dimension: [${dims}]`);
  const length = dims.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerLength;
  if (actual !== length) {
    throw new DatasetError(
      file,
      `has ${actual} data bytes, but its dimensions [${dims}] need ${length} (${
        actual < length ? "truncated" : "trailing data"
      })`,
    );
  }
  return { dims, data: bytes.subarray(headerLength) };
}

/**
 * Reads an IDX file's bytes, gzip or raw. A name ending in `.gz` must hold gzip data.
 *
 * @throws {DatasetError} As `gunzip` and `parseIdx` do.
 */
export async function readIdx(bytes: Uint8Array, file: string, expectedRank: number): Promise<IdxArray> {
  const raw = file.endsWith(".gz") || isGzip(bytes) ? await gunzip(bytes, file) : bytes;
  return parseIdx(raw, file, expectedRank);
}

/**
 * Checks that an images file [N, rows, cols] and a labels file [N] fit together and that every label is below
 * `classes`.
 *
 * @throws {DatasetError} If the counts differ or a label is out of range.
 */
export function checkImagesAndLabels(
  images: IdxArray,
  labels: IdxArray,
  files: { images: string; labels: string },
  classes: number,
): void {
  if (images.dims[0] !== labels.dims[0]) {
    throw new DatasetError(
      files.labels,
      `has ${labels.dims[0]} labels, but ${files.images} has ${images.dims[0]} images`,
    );
  }
  const bad = labels.data.findIndex((label) => label >= classes);
  if (bad >= 0) {
    throw new DatasetError(files.labels, `label ${labels.data[bad]} at index ${bad} is out of range [0, ${classes})`);
  }
}
