/**
 * The conformance suite of the neural-interface contract: one call checks an interface (a built-in or your plugin)
 * and says which part of the contract it breaks, with what was expected and what came instead.
 *
 * | part         | what it checks                                                                                      |
 * | ------------ | --------------------------------------------------------------------------------------------------- |
 * | `shapes`     | a decoupling interface's `send` answers with a float32 gradient of the trigger's shape [B, ...shape] or `null`, and its `synthesize` with such a gradient; a coupled interface's `backward` answers with one; at batch sizes 5, 3 and 7 |
 * | `decoupling` | `decouples` is declared, `true` or `false`; a decoupling interface has `send`, `receive`, `release` and `synthesize`, and `send` answers a tensor or `null`, never `undefined`; a coupled one has `backward`, which answers its layer's gradient (a tensor); `buildNetwork` accepts it |
 * | `config`     | `getConfig()` is a JSON-able copy whose `type` is the registered name; the factory builds from it an interface with the same config; an unknown option is a `SpecError` |
 * | `disposal`   | `variables` are `tf.Variable`s; the tensor count stays flat over steps (with and without a message, `release(step)` after each); `diagnostics()` (when `hasDiagnostics`) gives numbers and leaves no tensor; `dispose()` frees everything, alone and in a network |
 * | `state`      | every `tf.Variable` the interface holds after it was built and trained a few steps (an optimizer's moments made at the first step too) is in `variables` or exported by `getTrainingState()` (an array of its shape), so that a checkpoint saves it; with `hasTrainingState`: `getTrainingState()` is plain data (named `Float32Array`s with their shapes, integer counters) and leaves no tensor; an interface built alike, given the original's variables and `setTrainingState(state)`, then steps exactly like the original (same answers, variables and training state); without the capability the part passes once the variables are all listed, and says so |
 * | `labels`     | without labels (`context.labels` undefined) the interface behaves as with them, or, if it needs them, throws an error naming itself and the labels and leaks nothing |
 * | `evaluation` | `synthesize()`, and `predict`/`evaluate`/`probeGradients` on a network, change no variable, no training state and not the training that follows |
 * | `training`   | a network with the interface on both hidden layers, trained with `Network.trainStep` on a tiny synthetic problem (with diagnostics, the gradient probe and an evaluation after each epoch, as `train()` does), ends with a training loss below that of the same network with its hidden layers frozen |
 *
 * Each part builds the interface the way `buildNetwork` does (trigger shape `[6]`, 3 classes, a seeded
 * `context.random`, Adam 0.01 as the network's optimizer), steps it the way `Network.trainStep` does (a decoupling
 * interface: `send`, then `receive` when the message comes, then `release(step)`; a coupled one: `backward`), and
 * stops at its first problem. The interface must be reproducible from its seed: two built alike must step alike.
 * The suite is synchronous: it trains with `Network.trainStep`, not `train()`.
 *
 * @example Check a plugin and print what it breaks
 * ```ts
 * import { Backprop } from "../mod.ts";
 * import { checkInterface, formatReport } from "./conformance.ts";
 * const report = checkInterface("backprop", () => new Backprop(), { parts: ["shapes", "decoupling", "config"] });
 * console.log(formatReport(report)); // config fails: the factory accepts unknown options
 * ```
 *
 * @example In a test file of your own: one Deno.test, one step per part
 * ```ts ignore
 * import { testInterface } from "./conformance.ts";
 * import { createDrtp } from "../examples/plugins/drtp.ts";
 * testInterface("drtp", createDrtp);
 * ```
 *
 * @module
 */
import type { InterfaceConfig, InterfaceFactory } from "../interfaces/interface.ts";
import { show } from "../errors.ts";
import { createRegistries, type Registries } from "../network/registries.ts";
import { errorText, type Fixture, Violation } from "./_fixture.ts";
import { checkConfig } from "./_config.ts";
import { checkDisposal } from "./_disposal.ts";
import { checkEvaluation } from "./_evaluation.ts";
import { checkLabels } from "./_labels.ts";
import { checkShapes } from "./_shapes.ts";
import { checkDecoupling } from "./_decoupling.ts";
import { checkState } from "./_state.ts";
import { checkTraining } from "./_training.ts";

/** The parts of the contract, in the order they are checked. */
export const CONFORMANCE_PARTS = [
  "shapes",
  "decoupling",
  "config",
  "disposal",
  "state",
  "labels",
  "evaluation",
  "training",
] as const;

/** One part of the contract. */
export type ConformancePart = typeof CONFORMANCE_PARTS[number];

// Each check throws a Violation at its first problem; it may return a note (e.g. that there was no state to restore).
const CHECKS: Record<ConformancePart, (f: Fixture) => string | void> = {
  shapes: checkShapes,
  decoupling: checkDecoupling,
  config: checkConfig,
  disposal: checkDisposal,
  state: checkState,
  labels: checkLabels,
  evaluation: checkEvaluation,
  training: checkTraining,
};

/** Options of `checkInterface` and `testInterface`. */
export interface ConformanceOptions {
  /** The config to build the interface from. @default {{ type: name }} */
  config?: InterfaceConfig;
  /** Where an interface finds optimizers (for its own); their interface registry is not used. @default {createRegistries()} */
  registries?: Registries;
  /** The parts to check. @default {CONFORMANCE_PARTS} */
  parts?: readonly ConformancePart[];
  /** Seed of the interface's `context.random`, the data and the networks. @default {0} */
  seed?: number;
}

/** The outcome of one part. */
export interface PartResult {
  /** Which part of the contract was checked. */
  part: ConformancePart;
  /** Whether the interface kept that part of the contract. */
  ok: boolean;
  /** When not ok: `"<part>: <what came>; expected <what the contract says>"`. */
  problem?: string;
  /** When ok, what the part has to say, e.g. that there was no training state to restore (`state`). */
  note?: string;
}

/** The outcome of `checkInterface`. */
export interface ConformanceReport {
  /** The registered name checked. */
  name: string;
  /** Whether every part checked passed. */
  ok: boolean;
  /** One result per part checked, in the order of `CONFORMANCE_PARTS`. */
  parts: PartResult[];
}

/**
 * Checks an interface against every part of the contract (or those in `options.parts`).
 *
 * @param name The name the factory is registered under (what `getConfig().type` must be).
 * @param factory The factory you register.
 * @param options Config, registries, parts and seed.
 * @returns Which parts pass, and for each that does not, the problem.
 * @throws {TypeError} If `name` is not a non-empty string or `factory` not a function.
 * @throws {RangeError} If `options.parts` names an unknown part.
 */
export function checkInterface(
  name: string,
  factory: InterfaceFactory,
  options: ConformanceOptions = {},
): ConformanceReport {
  const { fixture, parts } = setUp(name, factory, options);
  const results = parts.map((part) => checkPart(fixture, part));
  return { name, ok: results.every((r) => r.ok), parts: results };
}

/**
 * Registers one `Deno.test` named after the interface, with one step per part; a failing step's error says what
 * broke, and a part's note is in its step's name (`state: no training state to restore ...`). Call it at the top
 * level of a `*_test.ts` file.
 *
 * @param name The name the factory is registered under.
 * @param factory The factory you register.
 * @param options As for `checkInterface`.
 */
export function testInterface(name: string, factory: InterfaceFactory, options: ConformanceOptions = {}): void {
  const { fixture, parts } = setUp(name, factory, options);
  const label = options.config ? `interface "${name}" ${show(options.config)}` : `interface "${name}"`;
  Deno.test(`${label} conforms to the neural-interface contract`, async (t) => {
    for (const part of parts) {
      // Checked first, so that a part's note (e.g. no training state to restore) is in the step's name.
      const result = checkPart(fixture, part);
      await t.step(result.note ? `${part}: ${result.note}` : part, () => {
        if (!result.ok) throw new Error(`Interface "${name}" breaks the contract, ${result.problem}`);
      });
    }
  });
}

/** One line per part: `ok   shapes`, `ok   state: no training state to restore ...` or `FAIL labels: ...`. */
export function formatReport(report: ConformanceReport): string {
  const lines = report.parts.map((r) => r.ok ? `ok   ${r.part}${r.note ? `: ${r.note}` : ""}` : `FAIL ${r.problem}`);
  return [`interface "${report.name}": ${report.ok ? "conforms" : "breaks the contract"}`, ...lines].join("\n");
}

function checkPart(fixture: Fixture, part: ConformancePart): PartResult {
  try {
    const note = CHECKS[part](fixture);
    return note ? { part, ok: true, note } : { part, ok: true };
  } catch (error) {
    const text = error instanceof Violation ? error.message : `the check threw ${errorText(error)}`;
    return { part, ok: false, problem: `${part}: ${text}` };
  }
}

function setUp(name: string, factory: InterfaceFactory, options: ConformanceOptions) {
  if (typeof name !== "string" || name.length === 0) {
    throw new TypeError(`Cannot check an interface: the name must be a non-empty string, got ${String(name)}`);
  }
  if (typeof factory !== "function") {
    throw new TypeError(`Cannot check interface "${name}": the factory must be a function, got ${typeof factory}`);
  }
  const { config = { type: name }, registries = createRegistries(), parts = CONFORMANCE_PARTS, seed = 0 } = options;
  for (const part of parts) {
    if (!(CONFORMANCE_PARTS as readonly string[]).includes(part)) {
      throw new RangeError(`Unknown conformance part "${part}": known parts are ${CONFORMANCE_PARTS.join(", ")}`);
    }
  }
  const fixture: Fixture = { name, factory, config, registries, seed, shape: [6], units: 6, classes: 3 };
  return { fixture, parts: CONFORMANCE_PARTS.filter((p) => parts.includes(p)) };
}
