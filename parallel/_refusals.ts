// Private: what both sides of a pipeline need to check what they are handed, and to drop it: a refusal (why a message
// is dropped), a short description of a value for a warning, and the count of drops with a warning the first time of
// each kind of problem (`Drops`). The checks themselves are where the messages are acted on: the stage's in
// `stage/_validate.ts` (and the shared transport's rings in `transport/shared/_validate.ts`), the coordinator's in
// `schedule/_validate.ts`.

/** Why a message is dropped: `reason`, the kind of problem (warned of once); `detail`, this message's. */
export interface Refusal {
  reason: string;
  detail: string;
}

/** The kinds of message a stage knows. */
export const STAGE_KINDS: ReadonlySet<string> = new Set([
  "init",
  "forward",
  "message",
  "rings",
  "batches",
  "wake",
  "collect",
]);

/** A refusal: `reason` the kind of problem, `detail` this message's (`reason` itself by default). */
export const refuse = (reason: string, detail: string = reason): Refusal => ({ reason, detail });
/** Whether `v` is a non-null object. */
export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
/** Whether `v` is a safe integer of at least `min`. */
export const isCount = (v: unknown, min = 0): v is number => Number.isSafeInteger(v) && (v as number) >= min;

/**
 * A short description of `v` for a warning: a number, string or short list of numbers itself, else its type (and
 * length).
 */
export function brief(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v);
  if (typeof v === "function") return "a function";
  if (typeof v !== "object" || v === null) return String(v);
  if (ArrayBuffer.isView(v)) {
    const length = (v as unknown as { length?: number }).length ?? v.byteLength;
    return `${v.constructor.name}(${length})`;
  }
  if (Array.isArray(v)) {
    return v.length <= 4 && v.every((n) => typeof n === "number") ? `[${v.join(",")}]` : `a list of ${v.length}`;
  }
  const name = v.constructor?.name;
  return name && v.constructor !== Object ? `${/^[AEIOU]/.test(name) ? "an" : "a"} ${name}` : "an object";
}

/**
 * How a warning names a message of `kind`: "a forward message", "an init message", "a gradient message" (kind
 * "message"); of no kind it knows, "a message".
 */
export function described(kind: unknown): string {
  if (kind === "message") return "a gradient message";
  if (typeof kind !== "string" || (!STAGE_KINDS.has(kind) && !["consumed", "done", "collected"].includes(kind))) {
    return "a message";
  }
  return `${/^[aeiou]/.test(kind) ? "an" : "a"} ${kind} message`;
}

/** The messages one side of a pipeline dropped, and a warning the first time of each kind of problem. */
export class Drops {
  readonly #warn: (line: string) => void;
  readonly #warned = new Set<string>();
  #count = 0;
  #taken = 0;

  /** `warn` takes each warning line. */
  constructor(warn: (line: string) => void) {
    this.#warn = warn;
  }

  /** Messages dropped so far. */
  get count(): number {
    return this.#count;
  }

  /**
   * Counts a dropped message, `what` (e.g. "a forward message", see `described`), and warns of it, prefixed with
   * `who`, if it is the first of its kind with its kind of problem.
   */
  drop(who: string, what: string, refusal: Refusal): void {
    this.#count++;
    const key = `${what}: ${refusal.reason}`;
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#warn(`${who}: dropped ${what}: ${refusal.detail} (${this.#count} dropped so far)`);
  }

  /** Messages dropped since the last call. */
  take(): number {
    const n = this.#count - this.#taken;
    this.#taken = this.#count;
    return n;
  }
}
