/**
 * Learning-rate schedules: the `schedule` field of an optimizer config. A schedule is a pure function of the
 * optimizer's own update count, so it needs no messages: every optimizer instance (each layer's, each
 * synthesizer's, in this thread or in a Worker) follows it from its own count, and a checkpoint that restores the
 * count (`optimizer.steps`) resumes the schedule where it stopped.
 *
 * @module
 */
import { checkObject, isRecord, numberIn, positiveInt } from "../_validate.ts";
import { show, SpecError } from "../errors.ts";

/**
 * Step decay, as in the DNI paper (Adam's rate divided by 10 at 300k and 400k updates): the rate is
 * `learningRate * factor^k`, where `k` counts the boundaries below the update's number, so the first
 * `boundaries[0]` updates use the full rate and update `boundaries[0] + 1` the first reduced one.
 */
export interface StepSchedule {
  /** `step`. */
  type: "step";
  /** Update counts where the rate drops: strictly increasing positive integers, at least one. */
  boundaries: number[];
  /** What the rate is multiplied by at each boundary, in (0, 1]. @default {0.1} */
  factor?: number;
}

/**
 * Linear warmup, then cosine decay: update `t` (from 1) uses `learningRate` times `t / warmup` while
 * `t <= warmup`, then `minFactor + (1 - minFactor) * (1 + cos(pi * (t - warmup) / (steps - warmup))) / 2` until
 * `t = steps` (where it is `minFactor`), and `minFactor` after.
 */
export interface CosineSchedule {
  /** `cosine`. */
  type: "cosine";
  /** The update where the decay ends: a positive integer. */
  steps: number;
  /** The rate's factor at the end of the decay and after it, in [0, 1]. @default {0} */
  minFactor?: number;
  /** Updates of linear warmup before the decay, an integer in [0, steps). @default {0} */
  warmup?: number;
}

/** A learning-rate schedule: `step` or `cosine`. */
export type ScheduleConfig = StepSchedule | CosineSchedule;

/** The schedule types `validateSchedule` knows. */
export const SCHEDULE_TYPES: readonly string[] = ["step", "cosine"];

/**
 * Checks a schedule config and returns a copy with every default filled in.
 *
 * @param config The schedule, e.g. `{ type: "step", boundaries: [300000, 400000] }`.
 * @param path Where it sits in the spec, for errors, e.g. `optimizer.schedule`.
 * @returns The schedule with its defaults (`factor` 0.1; `minFactor` 0, `warmup` 0).
 * @throws {SpecError} Naming the field and the value: an unknown type or field, empty or not strictly increasing
 * boundaries, a factor outside (0, 1], steps not a positive integer, warmup outside [0, steps), minFactor outside
 * [0, 1].
 *
 * @example Defaults filled in, errors naming the field
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateSchedule } from "./schedule.ts";
 *
 * assert.deepEqual(validateSchedule({ type: "step", boundaries: [300000, 400000] }, "optimizer.schedule"), {
 *   type: "step",
 *   boundaries: [300000, 400000],
 *   factor: 0.1,
 * });
 * assert.throws(
 *   () => validateSchedule({ type: "step", boundaries: [400000, 300000] }, "optimizer.schedule"),
 *   /optimizer\.schedule\.boundaries\[1\] must be greater than the boundary before it \(400000\), got 300000/,
 * );
 * ```
 */
export function validateSchedule(config: unknown, path: string): ScheduleConfig {
  if (!isRecord(config)) {
    throw new SpecError(path, config, `must be an object { "type": ${SCHEDULE_TYPES.map(show).join(" | ")}, ... }`);
  }
  const type = config.type;
  if (type === "step") {
    const c = checkObject(path, config, ["type", "boundaries", "factor"]);
    if (!Array.isArray(c.boundaries) || c.boundaries.length === 0) {
      throw new SpecError(`${path}.boundaries`, c.boundaries, "must be a non-empty array of update counts");
    }
    const boundaries = c.boundaries.map((b, i) => positiveInt(`${path}.boundaries[${i}]`, b));
    boundaries.forEach((b, i) => {
      const before = boundaries[i - 1];
      if (before !== undefined && b <= before) {
        throw new SpecError(`${path}.boundaries[${i}]`, b, `must be greater than the boundary before it (${before})`);
      }
    });
    const factor = numberIn(`${path}.factor`, c.factor, 0, 1, 0.1);
    if (factor === 0) throw new SpecError(`${path}.factor`, factor, "must be a number in (0, 1]");
    return { type, boundaries, factor };
  }
  if (type === "cosine") {
    const c = checkObject(path, config, ["type", "steps", "minFactor", "warmup"]);
    const steps = positiveInt(`${path}.steps`, c.steps);
    const minFactor = numberIn(`${path}.minFactor`, c.minFactor, 0, 1, 0);
    const warmup = c.warmup ?? 0;
    if (typeof warmup !== "number" || !Number.isInteger(warmup) || warmup < 0 || warmup >= steps) {
      throw new SpecError(`${path}.warmup`, warmup, `must be an integer in [0, ${steps}) (below steps)`);
    }
    return { type, steps, minFactor, warmup };
  }
  throw new SpecError(`${path}.type`, type, `is not a known schedule (known: ${SCHEDULE_TYPES.join(", ")})`);
}

/**
 * The factor a schedule puts on the learning rate at update `t`; 1 without a schedule.
 *
 * @param schedule A validated schedule (see `validateSchedule`), or undefined for a constant rate.
 * @param t The update's number, counting from 1 (an optimizer's first update is 1).
 * @returns The multiplier of the learning rate, in [0, 1].
 * @throws {RangeError} If `t` is not an integer >= 1.
 *
 * @example Step decay at 300k and 400k updates; cosine with warmup
 * ```ts
 * import { scheduleFactor } from "./schedule.ts";
 *
 * const step = { type: "step" as const, boundaries: [300000, 400000], factor: 0.1 };
 * console.assert(scheduleFactor(step, 300000) === 1);
 * console.assert(Math.abs(scheduleFactor(step, 300001) - 0.1) < 1e-12);
 * console.assert(Math.abs(scheduleFactor(step, 400001) - 0.01) < 1e-12);
 *
 * const cosine = { type: "cosine" as const, steps: 110, warmup: 10, minFactor: 0 };
 * console.assert(scheduleFactor(cosine, 5) === 0.5); // warmup: 5 / 10
 * console.assert(Math.abs(scheduleFactor(cosine, 60) - 0.5) < 1e-12); // half way through the decay
 * console.assert(scheduleFactor(cosine, 200) === 0); // after the end
 * ```
 */
export function scheduleFactor(schedule: ScheduleConfig | undefined, t: number): number {
  if (!Number.isInteger(t) || t < 1) throw new RangeError(`The update number t must be an integer >= 1, got ${t}`);
  if (schedule === undefined) return 1;
  if (schedule.type === "step") {
    const passed = schedule.boundaries.filter((b) => t > b).length;
    return (schedule.factor ?? 0.1) ** passed;
  }
  const { steps, minFactor = 0, warmup = 0 } = schedule;
  if (t <= warmup) return t / warmup;
  if (t >= steps) return minFactor;
  const progress = (t - warmup) / (steps - warmup);
  return minFactor + (1 - minFactor) * (1 + Math.cos(Math.PI * progress)) / 2;
}

/**
 * For an optimizer factory's `validate`: `{ schedule }` validated when the config has one, else `{}`, so that a
 * config without a schedule comes back without the field. Spread it into the validated config.
 *
 * @param config The optimizer config.
 * @param path The optimizer's path in the spec, e.g. `layers[0].optimizer`.
 * @returns `{ schedule }` or `{}`.
 * @throws {SpecError} As `validateSchedule`, under `${path}.schedule`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scheduleField } from "./schedule.ts";
 *
 * assert.deepEqual(scheduleField({ type: "sgd" }, "optimizer"), {});
 * assert.deepEqual(scheduleField({ type: "sgd", schedule: { type: "cosine", steps: 100 } }, "optimizer"), {
 *   schedule: { type: "cosine", steps: 100, minFactor: 0, warmup: 0 },
 * });
 * ```
 */
export function scheduleField(config: Record<string, unknown>, path: string): { schedule?: ScheduleConfig } {
  return config.schedule === undefined ? {} : { schedule: validateSchedule(config.schedule, `${path}.schedule`) };
}
