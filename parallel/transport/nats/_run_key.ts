// Private: a run's secret over NATS, the run key: 32 random bytes written as 64 hex digits, in a file of its own
// (`--run-key FILE`, mode 0600) or in the environment (`DNI_RUN_KEY`). Every message of the run is sealed with keys
// derived from it (`_wire.ts`); a process without it can neither join the run nor read it.
import { readRegularTextFile } from "../../../_files.ts";
import { NatsError } from "./_names.ts";

/** Bytes of a new run key. */
export const RUN_KEY_BYTES = 32;
/** The most bytes a run key file may have. */
const MAX_KEY_FILE_BYTES = 4096;

/** `bytes` as hex digits. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The bytes of hex digits `text` (an even count of them). */
export function fromHex(text: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(text.match(/../g)?.map((h) => parseInt(h, 16)) ?? []);
}

/** A new run key, as the hex text a key file holds. */
export function newRunKey(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(RUN_KEY_BYTES)));
}

/**
 * The key in `text` (hex digits, at least 64, surrounding white space ignored); `where` names its source in errors
 * (the key itself never appears in one).
 *
 * @throws {NatsError} If `text` is no such key.
 */
export function parseRunKey(text: string, where: string): Uint8Array {
  const digits = typeof text === "string" ? text.trim() : "";
  if (!/^[0-9a-fA-F]*$/.test(digits) || digits.length % 2 !== 0) {
    throw new NatsError(`${where} holds no run key: it must be hex digits only (make one: deno task run-key FILE)`);
  }
  if (digits.length < 2 * RUN_KEY_BYTES) {
    throw new NatsError(
      `${where} holds a run key of ${digits.length / 2} bytes; it needs at least ${RUN_KEY_BYTES} ` +
        `(${2 * RUN_KEY_BYTES} hex digits; make one: deno task run-key FILE)`,
    );
  }
  return fromHex(digits);
}

/**
 * The run key of file `path` (a regular file of at most 4 KiB: a FIFO or device is refused unopened).
 *
 * @throws {NatsError} If the file cannot be read or holds no key.
 */
export async function readRunKeyFile(path: string): Promise<Uint8Array> {
  const where = `The run key file ${JSON.stringify(path)}`;
  const text = await readRegularTextFile(path, {
    what: "a run key file",
    maxBytes: MAX_KEY_FILE_BYTES,
    fail: (problem) => new NatsError(`${where} ${problem}`),
  });
  return parseRunKey(text, where);
}

/**
 * The run key of `--run-key FILE`, else of the environment variable `DNI_RUN_KEY` (the key's hex digits), else
 * undefined.
 */
export async function runKeyFrom(file: string | undefined, env = Deno.env.get("DNI_RUN_KEY")): Promise<
  Uint8Array | undefined
> {
  if (file !== undefined) return await readRunKeyFile(file);
  if (env !== undefined && env !== "") return parseRunKey(env, "DNI_RUN_KEY");
  return undefined;
}

/**
 * Writes a new run key to `path`, readable by its owner only (mode 0600); an existing file is never overwritten.
 *
 * @throws {NatsError} If `path` exists or cannot be written.
 */
export async function writeRunKeyFile(path: string): Promise<void> {
  try {
    await Deno.writeTextFile(path, newRunKey() + "\n", { createNew: true, mode: 0o600 });
  } catch (error) {
    const why = error instanceof Deno.errors.AlreadyExists
      ? "exists already (a run key is never overwritten: remove it first, or choose another name)"
      : (error as Error).message;
    throw new NatsError(`Cannot write the run key file ${JSON.stringify(path)}: ${why}`);
  }
}

/** Where a coordinator's run key may come from (`pipeline()`'s `nats` options). */
export interface RunKeySource {
  /** The key: hex digits (at least 64) or bytes. */
  key?: string | Uint8Array;
  /** A file holding it (`deno task run-key FILE` makes one). */
  keyFile?: string;
  /** Whether the coordinator starts its stage processes itself: then, without a key, it makes one for the run. */
  spawn?: boolean;
}

/**
 * The coordinator's run key: given, read from its file, or (with `spawn` only) new.
 *
 * @throws {NatsError} If there is none, or it is no key.
 */
export async function coordinatorRunKey(source: RunKeySource): Promise<Uint8Array> {
  if (source.keyFile !== undefined) return await readRunKeyFile(source.keyFile);
  if (source.key instanceof Uint8Array) return parseRunKey(toHex(source.key), "nats.key");
  if (typeof source.key === "string") return parseRunKey(source.key, "nats.key");
  if (source.spawn) return parseRunKey(newRunKey(), "a new run key");
  throw new NatsError(
    `A run over NATS needs a run key, shared with its stage processes: give --run-key FILE (or DNI_RUN_KEY; ` +
      `nats.key or nats.keyFile of pipeline()); make one with: deno task run-key FILE`,
  );
}
