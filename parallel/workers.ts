/**
 * `workersStrategy`: the strategy for running a network on N Workers, chosen from the network (what the CLI's
 * `--workers N` uses).
 *
 * @module
 */
import type { Network } from "../network/network.ts";
import { oneThread } from "../execution/one_thread.ts";
import type { Strategy } from "../execution/strategy.ts";
import { dataParallel } from "./data_parallel/data_parallel.ts";
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

/** What `workerPlan` decided: the Workers that will run, and why fewer than asked, if so. */
export interface WorkerPlan {
  /** Workers to start (1: this thread). */
  workers: number;
  /** Why fewer than asked, in words for a log line; undefined when all run. */
  capped?: string;
}

/**
 * How many Workers `--workers N` really runs on this machine: a pipeline needs no more Workers than the network has
 * modules (cut at its decoupling interfaces), and more Workers than cores only slow training (each replica or stage
 * is a full TF.js instance, hundreds of MB), so both cap it; never below 2 when 2 or more were asked, so that a
 * decoupled run still runs decoupled on one core.
 *
 * @param network The network.
 * @param requested The Workers asked for.
 * @param cores The machine's logical cores. @default {navigator.hardwareConcurrency}
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetwork } from "../mod.ts";
 * import { workerPlan } from "./workers.ts";
 *
 * const bp = buildNetwork({ input: [4], layers: [{ type: "dense", units: 4 }, { type: "dense", units: 2 }] });
 * assert.deepEqual(workerPlan(bp, 64, 2), { workers: 2, capped: "this machine has 2 cores" });
 * assert.deepEqual(workerPlan(bp, 2, 8), { workers: 2 });
 * bp.dispose();
 * ```
 */
export function workerPlan(
  network: Network,
  requested: number,
  cores: number = navigator.hardwareConcurrency,
): WorkerPlan {
  if (requested <= 1) return { workers: requested };
  const reasons: string[] = [];
  let workers = requested;
  if (network.interfaces.some((i) => i.decouples)) {
    const modules = network.interfaces.filter((i) => i.decouples).length + 1;
    if (workers > modules) {
      workers = modules;
      reasons.push(`the network has ${modules} modules`);
    }
  }
  const most = Math.max(2, cores);
  if (workers > most) {
    workers = most;
    reasons.push(`this machine has ${cores} core${cores === 1 ? "" : "s"}`);
  }
  return workers < requested ? { workers, capped: reasons.join(" and ") } : { workers };
}
