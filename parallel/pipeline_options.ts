/**
 * The options of the pipeline strategy (`pipeline(options)`), and their checks.
 *
 * @module
 */
import { checkOptionKeys, optionKeys } from "../_option_keys.ts";
import { checkRunName } from "./transport/nats/_names.ts";
import type { PipelineProfile, Transport } from "./profile.ts";
import { transportNamed, TRANSPORTS } from "./transport/_transports.ts";

/** Where a pipeline over NATS finds its stage processes (`pipeline({ transport: "nats", nats })`). */
export interface PipelineNatsOptions {
  /**
   * The NATS server: `nats://host:4222`, with credentials `nats://user:password@host:4222` or
   * `nats://token@host:4222`; `tls://host:4222` for TLS. Messages name it with the password hidden.
   */
  url: string;
  /** The run's name (letters, digits, `_`, `-`): only stage processes started with it (`--run NAME`) take part. */
  run: string;
  /** Start the stage processes on this machine (`deno run cli.ts stage`) and end them with the run. @default {false} */
  spawn?: boolean;
  /** How long to wait for enough stage processes to answer (seconds). @default {30, or 120 with spawn} */
  claimSeconds?: number;
  /**
   * A PEM file of the certificate authority (or the self-signed certificate) that the server's TLS certificate is
   * checked against, instead of the system's roots (which is all Deno's node:tls trusts: `DENO_CERT` and `--cert`
   * do not reach it). Stage processes started with `spawn` get it too; others take `--nats-ca FILE`.
   */
  ca?: string;
  /**
   * The run's secret, shared with its stage processes: 32 or more bytes, or their hex digits (`deno task run-key
   * FILE` makes a file of them; stage processes take `--run-key FILE` or `DNI_RUN_KEY`). Every message of the run is
   * sealed with keys derived from it: a client of the server without it can neither join the run nor read or change
   * it. Needed unless `spawn`, which makes one for the run when none is given.
   */
  key?: string | Uint8Array;
  /** A file holding the run's key (instead of `key`). */
  keyFile?: string;
  /** Encrypt every message with the run's key (AES-256-GCM); false authenticates them only. @default {true} */
  encrypt?: boolean;
}

/** Options of `pipeline`. */
export interface PipelineOptions {
  /** Number of Workers: at most this many stages. @default {2} */
  workers?: number;
  /** How many batches a stage may run ahead of the messages from the stage above. @default {1} */
  staleness?: number;
  /** Fail if no stage reports anything for this long (seconds). @default {120} */
  stallSeconds?: number;
  /**
   * How stages hand each other arrays: `"shared"` (ring slots in shared memory) or `"messages"` (each array copied
   * and transferred in its message, as before; kept to compare), or `"nats"` (each stage a process of its own, on
   * any host, reached over a NATS server: give `nats`). A sequence network's windows travel in messages: with it,
   * `"shared"` runs as `"messages"`. @default {"shared"}
   */
  transport?: Transport;
  /** With `transport: "nats"`: the server, the run's name, and whether to start the stage processes here. */
  nats?: PipelineNatsOptions;
  /** Called after each epoch with where each stage's time per batch went (see `PipelineProfile`). */
  onProfile?: (profile: PipelineProfile) => void;
  /** For tests: make the stage of this index throw from its third batch on. */
  failStage?: number;
}

/** A pipeline's options, checked, with the defaults filled in. */
export interface CheckedOptions extends PipelineOptions {
  workers: number;
  staleness: number;
  stallSeconds: number;
  transport: Transport;
}

/**
 * `options` checked, with the defaults filled in.
 *
 * @throws {RangeError} If an option is out of range.
 */
export function checkPipelineOptions(options: PipelineOptions): CheckedOptions {
  checkOptionKeys("pipeline()", options, PIPELINE_OPTION_KEYS);
  checkOptionKeys("pipeline()'s nats options", options.nats, NATS_OPTION_KEYS);
  const { workers = 2, staleness = 1, stallSeconds = 120, transport = "shared" } = options;
  if (!Number.isInteger(workers) || workers < 2) {
    throw new RangeError(`workers must be an integer >= 2 for a pipeline, got ${workers}`);
  }
  if (!Number.isInteger(staleness) || staleness < 0) {
    throw new RangeError(`staleness must be an integer >= 0, got ${staleness}`);
  }
  if (!(stallSeconds > 0)) throw new RangeError(`stallSeconds must be > 0, got ${stallSeconds}`);
  if (transportNamed(transport) === undefined) {
    const names = Object.keys(TRANSPORTS).map((n) => JSON.stringify(n));
    throw new RangeError(
      `transport must be ${names.slice(0, -1).join(", ")} or ${names.at(-1)}, got ${JSON.stringify(transport)}`,
    );
  }
  if (transport === "nats") {
    if (options.nats === undefined) throw new RangeError(`transport "nats" needs nats: { url, run }`);
    checkRunName(options.nats.run);
    const { key, keyFile, encrypt } = options.nats;
    if (key !== undefined && typeof key !== "string" && !(key instanceof Uint8Array)) {
      throw new RangeError(`nats.key must be the run key's bytes or hex digits, got ${typeof key}`);
    }
    if (keyFile !== undefined && (typeof keyFile !== "string" || keyFile === "")) {
      throw new RangeError(`nats.keyFile must be the path of a run key file, got ${JSON.stringify(keyFile)}`);
    }
    if (key !== undefined && keyFile !== undefined) throw new RangeError("give nats.key or nats.keyFile, not both");
    if (encrypt !== undefined && typeof encrypt !== "boolean") {
      throw new RangeError(`nats.encrypt must be true or false, got ${JSON.stringify(encrypt)}`);
    }
    const { ca } = options.nats;
    if (ca !== undefined && (typeof ca !== "string" || ca === "")) {
      throw new RangeError(`nats.ca must be the path of a PEM file, got ${JSON.stringify(ca)}`);
    }
  }
  return { ...options, workers, staleness, stallSeconds, transport };
}

/** The keys of `PipelineOptions`, checked at run time. */
export const PIPELINE_OPTION_KEYS: readonly string[] = optionKeys<PipelineOptions>()([
  "workers",
  "staleness",
  "stallSeconds",
  "transport",
  "nats",
  "onProfile",
  "failStage",
]);

/** The keys of `PipelineNatsOptions`, checked at run time. */
export const NATS_OPTION_KEYS: readonly string[] = optionKeys<PipelineNatsOptions>()([
  "url",
  "run",
  "spawn",
  "claimSeconds",
  "ca",
  "key",
  "keyFile",
  "encrypt",
]);
