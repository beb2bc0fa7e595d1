/**
 * A snapshot of memory, recorded after every epoch so that a long run shows whether anything grows: the live
 * TF.js tensors and their bytes (in this thread), and the process's resident set size.
 *
 * @module
 */
import { tf } from "../deps.ts";

/** Memory at one moment. */
export interface MemoryRecord {
  /** Live tensors (`tf.memory().numTensors`). */
  tensors: number;
  /** Bytes held by live tensors (`tf.memory().numBytes`). */
  bytes: number;
  /** The process's resident set size in bytes (`Deno.memoryUsage().rss`). */
  rssBytes: number;
}

/**
 * Measures memory now.
 *
 * @example
 * ```ts
 * import { memoryRecord } from "./memory.ts";
 * const m = memoryRecord();
 * console.assert(m.tensors >= 0 && m.rssBytes > 0);
 * ```
 */
export function memoryRecord(): MemoryRecord {
  const { numTensors, numBytes } = tf.memory();
  return { tensors: numTensors, bytes: numBytes, rssBytes: Deno.memoryUsage().rss };
}
