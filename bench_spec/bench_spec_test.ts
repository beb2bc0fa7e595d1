import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { nativeBlas } from "../native/backend.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { benchSpec, type BenchSpecOptions } from "./bench_spec.ts";

const blas = !("reason" in nativeBlas());
const dense = (units: number, iface?: string) => ({ type: "dense", units, activation: "relu", interface: iface });
const mlp: NetworkSpec = { input: [20], layers: [dense(16, "csg"), dense(16), { type: "dense", units: 4 }] };

// Registers the cases of benchSpec(spec, options) with Deno.bench stubbed, runs each once (as `deno bench` would,
// after a warm-up run) and checks that a run leaves no tensor behind.
async function captured(spec: NetworkSpec, options?: BenchSpecOptions): Promise<Deno.BenchDefinition[]> {
  const defs: Deno.BenchDefinition[] = [];
  const bench = Deno.bench;
  Deno.bench = ((def: Deno.BenchDefinition) => void defs.push(def)) as typeof Deno.bench;
  let made;
  try {
    made = await benchSpec(spec, options);
  } finally {
    Deno.bench = bench;
  }
  assert.deepEqual(made.cases, defs.map((d) => d.name));
  const b = { start() {}, end() {}, name: "", origin: "" } as Deno.BenchContext;
  for (const def of defs) {
    await def.fn(b);
    const before = tf.memory().numTensors;
    await def.fn(b);
    assert.equal(tf.memory().numTensors, before, `${def.name} leaves tensors behind`);
  }
  made.dispose();
  return defs;
}

Deno.test("benchSpec() registers one case per interface, with its op count, the first the baseline", async () => {
  const defs = await captured(mlp, { interfaces: ["backprop", "sg", "csg"], batchSize: 8 });
  const backend = tf.getBackend();
  const steps = defs.filter((d) => !d.name.startsWith("GEMM"));
  assert.deepEqual(steps.map((d) => d.name.replace(/\d+ ops/, "N ops")), [
    `${backend}: backprop step (N ops)`,
    `${backend}: sg step (N ops)`,
    `${backend}: csg step (N ops)`,
  ]);
  assert.deepEqual(defs.map((d) => d.baseline), defs.map((_, i) => i === 0));
  assert.ok(defs.every((d) => d.group === "spec step, batch 8"));
  const ops = steps.map((d) => Number(/\((\d+) ops\)/.exec(d.name)![1]));
  assert.ok(ops[0]! > 0 && ops[1]! > ops[0]!, `sg's synthesizers add kernels: ${ops}`);
  // The GEMM ceiling: the products of the step (backprop: 3 layers x 3 less the first dx; sg,
  // csg: 2 more per linear synthesizer), where BLAS loads.
  const ceilings = defs.filter((d) => d.name.startsWith("GEMM")).map((d) => d.name);
  assert.deepEqual(ceilings.map((n) => /(\d+) sgemm/.exec(n)![1]), blas ? ["8", "12", "12"] : []);
});

Deno.test("benchSpec() benches the spec as written by default, and a sequence spec's state interface", async () => {
  const written = await captured(mlp, { group: "mine" });
  assert.match(written[0]!.name, /: csg step \(\d+ ops\)$/);
  assert.equal(written[0]!.group, "mine");
  const lstm: NetworkSpec = {
    input: [5],
    layers: [{ type: "lstm", units: 8, stateInterface: "sg" }, { type: "dense", units: 3 }],
  };
  const defs = await captured(lstm, {
    interfaces: ["backprop", "csg"],
    batchSize: 4,
    sequenceLength: 6,
    truncation: 3,
  });
  assert.deepEqual(defs.map((d) => d.name.replace(/\d+ ops/, "N ops").replace(/^\w+: /, "")), [
    "backprop step (N ops)",
    "csg step (N ops)",
  ]);
});

Deno.test("benchSpec() on every backend asked; native only where BLAS loads", async () => {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (line: string) => void warnings.push(line);
  let defs;
  try {
    defs = await captured(mlp, { backends: ["wasm", "native"], batchSize: 4 });
  } finally {
    console.warn = warn;
  }
  const steps = defs.filter((d) => !d.name.startsWith("GEMM")).map((d) => d.name.split(":")[0]);
  assert.deepEqual(steps, blas ? ["wasm", "native"] : ["wasm"]);
  // Without BLAS, said once (never silently): `benchSpec: the native backend did not run: <why>`.
  assert.deepEqual(
    warnings.map((w) => w.replace(/run: .*/, "run: ...")),
    blas ? [] : [
      "benchSpec: the native backend did not run: ...",
    ],
  );
});

Deno.test("benchSpec() rejects bad input when called, naming it", () => {
  const bad: [NetworkSpec, unknown, RegExp][] = [
    [mlp, { interface: ["sg"] }, /benchSpec\(\) has no option "interface" \(did you mean interfaces\?\)/],
    [mlp, { interfaces: ["sgg"] }, /interfaces\[0\] is an unknown interface "sgg" \(known: backprop, sg, csg/],
    [mlp, { interfaces: [] }, /interfaces must be a non-empty list/],
    [mlp, { interfaces: ["sg", "sg"] }, /interfaces names "sg" twice/],
    [mlp, { backends: ["gpu"] }, /backends\[0\] is an unknown backend "gpu" \(known: native, wasm, cpu\)/],
    [mlp, { batchSize: 0 }, /batchSize must be a whole number from 1 to 65536, got 0/],
    [mlp, { batchSize: 1.5 }, /batchSize .* got 1.5/],
    [mlp, { truncation: "3" }, /truncation .* got "3"/],
    [mlp, { group: 3 }, /group must be a string, got 3/],
    [{ ...mlp, input: [0] }, {}, /input\[0\]/],
    [{ ...mlp, layers: [{ type: "dense2", units: 4 }] }, {}, /dense2/],
  ];
  for (const [spec, options, message] of bad) {
    assert.throws(() => benchSpec(spec, options as BenchSpecOptions), message);
  }
  // The text spec's placeholder, which only `train` fills in from its corpus.
  const text = { input: ["vocabulary"], layers: [{ type: "lstm", units: 8 }, { type: "dense", units: 3 }] };
  assert.throws(() => benchSpec(text as unknown as NetworkSpec), /input/);
});

Deno.test("benchSpec() works on the example spec of docs/bench.md", async () => {
  const spec = JSON.parse(await Deno.readTextFile(new URL("../examples/bench_mlp.json", import.meta.url)));
  const defs = await captured(spec, { interfaces: ["backprop", "csg"], batchSize: 16 });
  assert.equal(defs.filter((d) => !d.name.startsWith("GEMM")).length, 2);
});
