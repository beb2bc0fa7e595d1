// Private: a pipeline's second line of defence (the first: only the run's own processes reach it). Every message a
// stage is handed (`ToStage`) and every reply the coordinator hears (`FromStage`) is checked before it is acted on;
// what fails is dropped and counted, with a warning the first time of each kind of problem (`Drops`), so that no
// message can crash, hang or mistrain a process. A batch's check is a few comparisons and one pass over its labels.
import { type Forward, type FromStage, type Message, NO_TARGET, type StageRings } from "./protocol.ts";
import { SharedRing } from "./_ring.ts";
import { STAGE_PARTS } from "./_stage_clock.ts";

/** Why a message is dropped: `reason`, the kind of problem (warned of once); `detail`, this message's. */
export interface Refusal {
  reason: string;
  detail: string;
}

/**
 * The most rows a batch may have: far more than a batch of any run (its inputs must be there too: `x` holds exactly
 * rows times the input's width).
 */
export const MAX_ROWS = 1 << 24;

const STAGE_KINDS: ReadonlySet<string> = new Set([
  "init",
  "forward",
  "message",
  "rings",
  "batches",
  "wake",
  "collect",
]);

const refuse = (reason: string, detail: string = reason): Refusal => ({ reason, detail });
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
const isCount = (v: unknown, min = 0): v is number => Number.isSafeInteger(v) && (v as number) >= min;

/**
 * A short description of `v` for a warning: a number, string or short list of numbers itself, else its type (and
 * length).
 */
function brief(v: unknown): string {
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

/** A refusal unless `m` is an object of a kind a stage knows, whose `sent` stamp, if any, is a finite number. */
export function envelopeRefusal(m: unknown): Refusal | undefined {
  if (!isRecord(m)) return refuse("not an object", `${brief(m)} is not an object`);
  if (typeof m.kind !== "string" || !STAGE_KINDS.has(m.kind)) {
    return refuse("unknown kind", `its kind ${brief(m.kind)} is none a stage knows`);
  }
  if (m.sent !== undefined && !Number.isFinite(m.sent)) {
    return refuse("bad stamp", `its stamp ${brief(m.sent)} is not a finite number`);
  }
  return undefined;
}

/**
 * A refusal unless `f` is a batch a stage may train now: `last` the step it trained last (undefined: none yet; then
 * only the next step, `last + 1`, is taken, since the coordinator numbers the batches one by one), `width` the values
 * per row of its input, `classes` the network's classes.
 */
export function forwardRefusal(
  f: Forward,
  last: number | undefined,
  width: number,
  classes: number,
  sequences = false,
): Refusal | undefined {
  const { step, rows, x, labels, window } = f;
  if (!isCount(step)) return refuse("bad step", `step ${brief(step)} is not a non-negative integer`);
  if (last !== undefined && step !== last + 1) {
    return step <= last
      ? refuse("step already trained", `step ${step} already trained`)
      : refuse("step skips ahead", `step ${step} is not the next one, ${last + 1}`);
  }
  if (!isCount(rows, 1) || rows > MAX_ROWS) {
    return refuse("bad rows", `step ${step}: rows ${brief(rows)} is not an integer from 1 to ${MAX_ROWS}`);
  }
  if (!(x instanceof Float32Array) || x.length !== rows * width) {
    return refuse("inputs of the wrong size", `step ${step}: x is ${brief(x)}, not ${rows} rows of ${width} floats`);
  }
  if (!(labels instanceof Uint8Array) || labels.length !== rows) {
    return refuse("labels of the wrong size", `step ${step}: labels are ${brief(labels)}, not Uint8Array(${rows})`);
  }
  if (sequences !== (window !== undefined)) {
    return sequences
      ? refuse("no window", `step ${step}: a sequence network's stage needs the window of its rows`)
      : refuse("unexpected window", `step ${step}: a window, for a network that has no recurrent layer here`);
  }
  if (window !== undefined) {
    const refusal = windowRefusal(window, rows, classes);
    if (refusal !== undefined) return refuse(refusal.reason, `step ${step}: ${refusal.detail}`);
  }
  for (let i = 0; i < rows; i++) {
    if (labels[i]! >= classes && !(window !== undefined && labels[i] === NO_TARGET)) {
      return refuse("label out of range", `step ${step}: label ${labels[i]} at row ${i} is outside 0..${classes - 1}`);
    }
  }
  return undefined;
}

// A refusal unless `w` describes a window of `rows` rows.
function windowRefusal(w: unknown, rows: number, classes: number): Refusal | undefined {
  if (!isRecord(w)) return refuse("bad window", `its window ${brief(w)} is not an object`);
  const { sequences, time, future, fresh, sequenceLabels } = w;
  if (!isCount(sequences, 1) || !isCount(time, 1) || sequences * time !== rows) {
    return refuse(
      "bad window",
      `its window of ${brief(sequences)} sequences x ${brief(time)} steps is not ${rows} rows`,
    );
  }
  if (typeof future !== "boolean" || typeof fresh !== "boolean") {
    return refuse("bad window", `its window's future ${brief(future)} and fresh ${brief(fresh)} are not booleans`);
  }
  if (
    sequenceLabels !== undefined &&
    (!(sequenceLabels instanceof Uint8Array) || sequenceLabels.length !== sequences ||
      sequenceLabels.some((l) => l >= classes))
  ) {
    return refuse("bad window", `its sequence labels ${brief(sequenceLabels)} are not ${sequences} classes`);
  }
  return undefined;
}

/**
 * A refusal unless `m` is the message for a step this stage awaits one for: `rows` the rows of that step's batch
 * (undefined: it awaits none for `m.step`), `width` the values per row of the stage's output.
 */
export function messageRefusal(m: Message, rows: number | undefined, width: number): Refusal | undefined {
  const { step, gradient, factor } = m;
  if (rows === undefined) return refuse("step not awaited", `step ${brief(step)} is not one this stage awaits`);
  if (gradient === null) {
    return factor === undefined ? undefined : refuse("factor without gradient", `step ${step}: a factor, no gradient`);
  }
  let units = width;
  if (factor !== undefined) {
    const shape = isRecord(factor) ? factor.shape : undefined;
    if (!Array.isArray(shape) || shape.length !== 2 || !isCount(shape[0], 1) || shape[1] !== width) {
      return refuse("bad factor shape", `step ${step}: factor shape ${brief(shape)} is not [units >= 1, ${width}]`);
    }
    if (!(factor.values instanceof Float32Array) || factor.values.length !== shape[0] * width) {
      return refuse("factor of the wrong size", `step ${step}: factor is ${brief(factor.values)}, not [${shape}]`);
    }
    units = shape[0];
  }
  if (!(gradient instanceof Float32Array) || gradient.length !== rows * units) {
    return refuse(
      "gradient of the wrong size",
      `step ${step}: gradient is ${brief(gradient)}, not ${rows} rows of ${units} floats`,
    );
  }
  return undefined;
}

/**
 * A refusal unless `m` gives rings fit for a stage of the shared transport (`shared`) between epochs (`idle`: it
 * awaits no message), `first` or `last` in the pipeline: each ring it needs, a valid one, and no other.
 */
export function ringsRefusal(
  m: StageRings,
  place: { shared: boolean; idle: boolean; first: boolean; last: boolean },
): Refusal | undefined {
  if (!place.shared) return refuse("rings without the shared transport");
  if (!place.idle) return refuse("rings mid-epoch", "rings came while the stage awaited messages");
  const needed = { input: !place.first, output: !place.last, messagesIn: !place.last, messagesOut: !place.first };
  for (const [name, needs] of Object.entries(needed)) {
    const buffer = m[name as keyof typeof needed];
    if ((buffer !== undefined) !== needs) {
      return refuse("rings of the wrong set", `${name} ring ${needs ? "missing" : "where the stage has none"}`);
    }
    if (buffer === undefined) continue;
    if (!(buffer instanceof SharedArrayBuffer)) return refuse("bad ring", `${name} ring is ${brief(buffer)}`);
    try {
      new SharedRing(buffer);
    } catch (error) {
      return refuse("bad ring", `${name} ring: ${(error as Error).message}`);
    }
  }
  if (!isCount(m.low)) return refuse("bad low mark", `low ${brief(m.low)} is not a non-negative integer`);
  return undefined;
}

/** A refusal unless `items` is a list of forward items for stage 0 of the shared transport (`fits`). */
export function batchesRefusal(items: unknown, fits: boolean): Refusal | undefined {
  if (!fits) return refuse("batches not for this stage", "batches go to stage 0 of the shared transport only");
  if (!Array.isArray(items)) return refuse("bad batch list", `items are ${brief(items)}, not a list`);
  const bad = items.findIndex((f) => !isRecord(f) || f.kind !== "forward");
  return bad < 0 ? undefined : refuse("bad batch item", `item ${bad} is ${brief(items[bad])}, not a forward item`);
}

/** A refusal unless `count` is a whole number of batches, at most the `unconsumed` ones fed and not yet consumed. */
export function consumedRefusal(count: unknown, unconsumed: number): Refusal | undefined {
  if (!isCount(count) || count > unconsumed) {
    return refuse("bad count", `count ${brief(count)} is not an integer from 0 to ${unconsumed} (fed, not consumed)`);
  }
  return undefined;
}

/**
 * A refusal unless `r` is the result of a step in flight (`inFlight`: its rows by step, for the steps fed this epoch
 * and not yet done): its rows, `correct` from 0 to them, and `loss` a number (NaN and infinities included: the
 * divergence policy sees to them).
 */
export function resultRefusal(r: unknown, inFlight: ReadonlyMap<number, number>): Refusal | undefined {
  if (!isRecord(r)) return refuse("result not an object", `result ${brief(r)} is not an object`);
  const { step, loss, correct } = r;
  const rows = inFlight.get(step as number);
  if (rows === undefined) return refuse("step not in flight", `step ${brief(step)} was not fed or is done already`);
  if (r.rows !== rows) return refuse("rows differ", `step ${step}: rows ${brief(r.rows)}, not the ${rows} fed`);
  if (!isCount(correct) || correct > rows) {
    return refuse("bad correct count", `step ${step}: correct ${brief(correct)} is not an integer from 0 to ${rows}`);
  }
  if (typeof loss !== "number") return refuse("bad loss", `step ${step}: loss ${brief(loss)} is not a number`);
  return undefined;
}

const COUNTS = [
  "busySeconds",
  "waitSeconds",
  "maxOutstanding",
  "skippedUpdates",
  "batches",
  "posts",
  "bytes",
  "tensors",
  "dropped",
] as const;
const MEMORY = ["heapUsed", "heapTotal", "external", "wasmHeap"] as const;

/** What is wrong with a stage's "collected" for variables of `sizes` values each, or undefined. */
export function collectedProblem(
  c: Extract<FromStage, { kind: "collected" }>,
  sizes: readonly number[],
): string | undefined {
  const fields = c as unknown as Record<string, unknown>;
  const { weights, diagnostics, times, memory } = fields;
  if (!Array.isArray(weights)) return `its weights are ${brief(weights)}, not a list`;
  if (weights.length !== sizes.length) return `it sent ${weights.length} weight arrays, expected ${sizes.length}`;
  const bad = weights.findIndex((w, i) => !(w instanceof Float32Array) || w.length !== sizes[i]);
  if (bad >= 0) return `its weight array ${bad} is ${brief(weights[bad])}, expected Float32Array(${sizes[bad]})`;
  const field = COUNTS.find((f) => typeof fields[f] !== "number");
  if (field !== undefined) return `its ${field} is ${brief(fields[field])}, not a number`;
  if (!isRecord(times) || STAGE_PARTS.some((p) => typeof times[p] !== "number")) return "its times are not numbers";
  if (!isRecord(memory) || MEMORY.some((p) => typeof memory[p] !== "number")) return "its memory is not numbers";
  // Each an `InterfaceDiagnostics`: a layer, a type, where it sits (on a recurrent state) and numbers.
  const entry = (d: unknown) =>
    isRecord(d) && typeof d.layer === "number" && typeof d.type === "string" &&
    (d.on === undefined || d.on === "state") &&
    Object.entries(d).every(([name, n]) => name === "type" || name === "on" || typeof n === "number");
  if (!Array.isArray(diagnostics) || !diagnostics.every(entry)) {
    return "its diagnostics are not a list of layers, types and numbers";
  }
  return undefined;
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
