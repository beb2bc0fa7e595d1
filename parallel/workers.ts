/**
 * `workersStrategy`: the strategy for running a network on N Workers, chosen from the network (what the CLI's
 * `--workers N` uses).
 *
 * @module
 */
import type { Network } from "../network/network.ts";
import { oneThread } from "../execution/one_thread.ts";
import type { Strategy } from "../execution/strategy.ts";
import { dataParallel } from "./data_parallel.ts";
import { pipeline } from "./pipeline.ts";

/** Options of `workersStrategy`. */
export interface WorkersOptions {
  /** Number of Workers; 1 trains on this thread. */
  workers: number;
  /** For a pipeline: how many batches a stage may run ahead of the messages from above. @default {1} */
  staleness?: number;
}

/**
 * `pipeline({ workers, staleness })` when the network has a decoupling interface (built-in or plugin) to cut at,
 * else `dataParallel({ workers })`; `oneThread()` for one Worker.
 *
 * @throws {RangeError} If `workers` or `staleness` is out of range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetwork, workersStrategy } from "../mod.ts";
 *
 * const sg = buildNetwork({ input: [4], layers: [{ type: "dense", units: 4, interface: "sg" }, { type: "dense", units: 2 }] });
 * const bp = buildNetwork({ input: [4], layers: [{ type: "dense", units: 4 }, { type: "dense", units: 2 }] });
 * assert.equal(workersStrategy(sg, { workers: 2 }).name, "pipeline (2 workers, staleness 1)");
 * assert.equal(workersStrategy(bp, { workers: 2 }).name, "data-parallel (2 workers)");
 * assert.equal(workersStrategy(bp, { workers: 1 }).name, "one thread");
 * sg.dispose();
 * bp.dispose();
 * ```
 */
export function workersStrategy(network: Network, { workers, staleness = 1 }: WorkersOptions): Strategy {
  if (!Number.isInteger(workers) || workers < 1) {
    throw new RangeError(`workers must be an integer >= 1, got ${workers}`);
  }
  if (!Number.isInteger(staleness) || staleness < 0) {
    throw new RangeError(`staleness must be an integer >= 0, got ${staleness}`);
  }
  if (workers === 1) return oneThread();
  return network.interfaces.some((i) => i.decouples) ? pipeline({ workers, staleness }) : dataParallel({ workers });
}
