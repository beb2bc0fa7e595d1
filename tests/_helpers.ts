// Shared helpers for the tests.
import { tf } from "../deps.ts";

/** Asserts that two arrays are equal within `atol + rtol * |expected|`, naming the first index that is not. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { atol = 1e-5, rtol = 1e-4, what = "values" } = {},
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length} != ${expected.length}`);
  }
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      throw new Error(`${what}[${i}]: ${a} is not close to ${e} (atol ${atol}, rtol ${rtol})`);
    }
  }
}

/** A [rows, cols] tensor of seeded uniform values in [-1, 1). */
export function uniform(rows: number, cols: number, seed: number): tf.Tensor2D {
  return tf.randomUniform([rows, cols], -1, 1, "float32", seed) as tf.Tensor2D;
}

/** One-hot labels [rows, classes] with label i % classes for row i. */
export function oneHot(rows: number, classes: number): tf.Tensor2D {
  return tf.oneHot(tf.tensor1d(Array.from({ length: rows }, (_, i) => i % classes), "int32"), classes)
    .toFloat() as tf.Tensor2D;
}

/** An IDX file of unsigned bytes: magic 0x08 0x<rank>, the dimensions, then `data`. */
export function idx(rank: number, dims: number[], data: number[]): Uint8Array {
  const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  header.setUint32(0, 0x0800 + rank);
  dims.forEach((d, i) => header.setUint32(4 + 4 * i, d));
  return new Uint8Array([...new Uint8Array(header.buffer), ...data]);
}

/** `bytes` gzip-compressed. */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
