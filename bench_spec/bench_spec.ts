/**
 * `benchSpec`: `deno bench` cases for the training step of a network of your own, from its spec.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { BACKENDS, useBackend } from "../backend.ts";
import { nativeBlas } from "../native/backend.ts";
import { checkOptionKeys, optionKeys } from "../_option_keys.ts";
import { buildNetwork } from "../network/build.ts";
import { defaultRegistries } from "../network/registries.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { isSequenceSpec, RECURRENT_CORES } from "../recurrent/build.ts";
import { countOps } from "./_count_ops.ts";
import { flopsOf, gemmRunner, specGemms } from "./_gemms.ts";
import { randomStep } from "./_step.ts";
import { checkCount, checkNames, interfaceLabel, withInterface } from "./_variants.ts";

/** Options of `benchSpec`. */
export interface BenchSpecOptions {
  /**
   * Interfaces to bench the spec under, each case the spec with every hidden layer's `interface` that has weights
   * (a sequence spec: every `lstm`'s `stateInterface`; `"backprop"` removes it) replaced by one of these names.
   * @default {the spec as written}
   */
  interfaces?: string[];
  /** Backends to bench on; `native` runs only where a BLAS library loads (else it says so, once). @default {the active one} */
  backends?: string[];
  /** Examples (sequences) per step. @default {128, or 32 for a sequence spec} */
  batchSize?: number;
  /** A sequence spec's steps per sequence. @default {28} */
  sequenceLength?: number;
  /** A sequence spec's steps per truncation window (one update each). @default {7} */
  truncation?: number;
  /** The `deno bench` group of the cases. @default {"spec step, batch N"} */
  group?: string;
}

/** The keys of `BenchSpecOptions`, checked at run time. */
export const BENCH_SPEC_OPTION_KEYS: readonly string[] = optionKeys<BenchSpecOptions>()([
  "interfaces",
  "backends",
  "batchSize",
  "sequenceLength",
  "truncation",
  "group",
]);

/** What `benchSpec` registered: the cases' names, and the networks and batches to free when done. */
export interface SpecBench {
  /** The names of the registered `Deno.bench` cases, in order. */
  readonly cases: readonly string[];
  /** Disposes the networks and batches of the cases (which then cannot run). */
  dispose(): void;
}

/**
 * Registers `Deno.bench` cases for one training step of `spec`: one case per interface and backend asked (its name
 * gives the TF.js kernel calls of one step, counted once here), the first the group's baseline, and for a
 * feed-forward dense network, on a machine where BLAS loads, the step's GEMM ceiling per interface: its matrix
 * products alone, straight through BLAS (a conv net, a sequence net or a plugin interface has none: the products
 * of its convolutions, time steps or plugin are not derived here). Await it at the top of a bench file, then run
 * `deno bench --allow-read --allow-env --allow-ffi FILE`.
 *
 * @param spec A network spec, feed-forward or sequence.
 * @param options Interfaces, backends, batch size; see `BenchSpecOptions`.
 * @returns The cases registered, and `dispose`.
 * @throws {SpecError} Synchronously, for an invalid spec (naming the field and the value), or one invalid under an
 *   asked interface.
 * @throws {TypeError} Synchronously, for an unknown option key, interface or backend, or a batch size, sequence
 *   length or truncation that is not a whole number >= 1.
 *
 * @example Bench a small MLP under backprop and csg (here the cases are only registered, under `deno test --doc`)
 * ```ts
 * import assert from "node:assert/strict";
 * import { benchSpec } from "../mod.ts";
 *
 * const spec = {
 *   input: [784],
 *   layers: [{ type: "dense", units: 64, activation: "relu" }, { type: "dense", units: 10 }],
 * };
 * const bench = await benchSpec(spec, { interfaces: ["backprop", "csg"], batchSize: 32 });
 * assert.match(bench.cases[0]!, /^(native|wasm|cpu): backprop step \(\d+ ops\)$/);
 * assert.throws(() => benchSpec(spec, { interfaces: ["sgg"] }), /unknown interface "sgg"/);
 * bench.dispose();
 * ```
 */
export function benchSpec(spec: NetworkSpec, options: BenchSpecOptions = {}): Promise<SpecBench> {
  checkOptionKeys("benchSpec()", options, BENCH_SPEC_OPTION_KEYS);
  const sequence = isSequenceSpec(spec);
  const batchSize = checkCount("batchSize", options.batchSize, sequence ? 32 : 128);
  const sequenceLength = checkCount("sequenceLength", options.sequenceLength, 28);
  const truncation = checkCount("truncation", options.truncation, 7);
  const backends = checkNames("backends", options.backends, BACKENDS, [tf.getBackend()]);
  const known = defaultRegistries.interfaces.names();
  const asked = options.interfaces === undefined ? undefined : checkNames("interfaces", options.interfaces, known);
  if (options.group !== undefined && typeof options.group !== "string") {
    throw new TypeError(`benchSpec(): group must be a string, got ${JSON.stringify(options.group)}`);
  }
  const group = options.group ?? `spec step, batch ${batchSize}`;
  // Built once here, on the active backend, so that a bad spec is an error now, not in the middle of a bench run.
  const written = buildNetwork(spec);
  const weighted = written.layers.map((l) => l.trainable.length > 0);
  written.dispose();
  const isCore = (i: number) => RECURRENT_CORES.includes(String(spec.layers[i]?.type));
  const variants = (asked ?? [undefined]).map((iface) => {
    const s = iface === undefined
      ? spec
      : withInterface(spec, iface, sequence, sequence ? isCore : (i) => weighted[i] === true);
    buildNetwork(s).dispose();
    return { label: interfaceLabel(s, sequence), spec: s };
  });
  return register({ variants, backends, group, batchSize, sequence: { sequenceLength, truncation } });
}

async function register(
  { variants, backends, group, batchSize, sequence }: {
    variants: { label: string; spec: NetworkSpec }[];
    backends: string[];
    group: string;
    batchSize: number;
    sequence: { sequenceLength: number; truncation: number };
  },
): Promise<SpecBench> {
  const blas = nativeBlas();
  const cases: string[] = [];
  const owned: { dispose(): void }[] = [];
  const bench = (name: string, fn: (b: Deno.BenchContext) => void | Promise<void>) => {
    Deno.bench({ group, name, baseline: cases.length === 0, fn });
    cases.push(name);
  };
  const active = tf.getBackend();
  try {
    for (const backend of backends) {
      if (backend === "native" && "reason" in blas) {
        console.warn(`benchSpec: the native backend did not run: ${blas.reason}`);
        continue;
      }
      await useBackend(backend);
      for (const { label, spec } of variants) {
        const net = buildNetwork(spec);
        owned.push(net);
        const step = randomStep(net, batchSize, sequence);
        owned.push(step);
        step.run(); // the optimizers make their slots
        const ops = await countOps(step.run);
        bench(`${backend}: ${label} step (${ops} ops)`, async (b) => {
          if (tf.getBackend() !== backend) await useBackend(backend);
          b.start();
          step.run();
          b.end();
        });
      }
    }
    // Why a ceiling is missing, said once: no BLAS at all, or what in a variant's spec has no products derived here.
    const said = new Set<string>();
    const say = (line: string) => {
      if (!said.has(line)) console.log(line);
      said.add(line);
    };
    for (const { label, spec } of variants) {
      const calls = specGemms(spec, batchSize);
      if ("reason" in blas) {
        say(
          `benchSpec: no GEMM ceiling: no BLAS library loads${
            backends.includes("native") ? " (see above)" : ` (${blas.reason})`
          }`,
        );
        break;
      }
      if (typeof calls === "string") {
        say(`benchSpec: no GEMM ceiling (${label}): ${calls}`);
        continue;
      }
      const run = gemmRunner(blas, calls);
      bench(`GEMM ceiling of ${label}: ${calls.length} sgemm calls, ${(flopsOf(calls) / 1e6).toFixed(1)} MFLOP`, run);
    }
  } catch (error) {
    for (const o of owned) o.dispose();
    throw error;
  } finally {
    await useBackend(active);
  }
  return { cases, dispose: () => owned.forEach((o) => o.dispose()) };
}
