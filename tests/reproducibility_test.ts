// Reproducibility: the same seed gives the same weights (synthesizers included) and the same history (timing and
// memory aside): exactly on the pure-JavaScript cpu backend, and on wasm; wasm and cpu agree to float tolerance.
import assert from "node:assert/strict";
import { buildNetwork, type EpochRecord, type NetworkSpec, syntheticDataset, train, useBackend } from "../mod.ts";
import { assertClose } from "./_helpers.ts";
import { tf } from "../deps.ts";

const data = syntheticDataset({ features: 12, classes: 3, trainCount: 160, testCount: 64, seed: 7 });
const INTERFACES = ["backprop", "sg", "csg"] as const;

function spec(iface: string): NetworkSpec {
  const config = iface === "backprop" ? iface : { type: iface, hidden: [8], updateProbability: 0.7 };
  return {
    input: [12],
    layers: [
      { type: "dense", units: 16, activation: "relu", batchNorm: true, interface: config },
      { type: "dense", units: 16, activation: "tanh", interface: config },
      { type: "dense", units: 3 },
    ],
    optimizer: { type: "adam", learningRate: 0.01 },
  };
}

interface Run {
  weights: number[][];
  history: Omit<EpochRecord, "seconds" | "samplesPerSecond" | "evalSeconds" | "memory">[];
}

async function run(iface: string, seed: number): Promise<Run> {
  const net = buildNetwork(spec(iface), { seed });
  try {
    const history = await train(net, data, { epochs: 2, batchSize: 32, seed, probeSize: 64 });
    return {
      weights: net.variables.map((v) => Array.from(v.dataSync())),
      history: history.epochs.map(({ seconds: _s, samplesPerSecond: _r, evalSeconds: _e, memory: _m, ...rest }) =>
        rest
      ),
    };
  } finally {
    net.dispose();
  }
}

// The numbers of a run, in a fixed order: every weight, then every number of the history.
function numbers(r: Run): number[] {
  const values: number[] = r.weights.flat();
  const walk = (v: unknown) => {
    if (typeof v === "number") values.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.keys(v).sort().forEach((k) => walk((v as Record<string, unknown>)[k]));
  };
  walk(r.history);
  return values;
}

Deno.test("the same seed gives identical weights and history on the cpu backend (backprop, sg, csg)", async () => {
  const before = tf.getBackend();
  await useBackend("cpu");
  try {
    for (const iface of INTERFACES) {
      const a = await run(iface, 3), b = await run(iface, 3);
      assert.deepEqual(b.weights, a.weights, `${iface}: weights`);
      assert.deepEqual(b.history, a.history, `${iface}: history`);
      if (iface !== "backprop") assert.ok(a.history[1]!.interfaces!.length === 2, "diagnostics are compared too");
      assert.notDeepEqual((await run(iface, 4)).weights, a.weights, `${iface}: another seed gives other weights`);
    }
  } finally {
    await useBackend(before);
  }
});

Deno.test("the same seed gives the same weights and history on wasm, to float tolerance (backprop, sg, csg)", async () => {
  for (const iface of INTERFACES) {
    const a = await run(iface, 3), b = await run(iface, 3);
    assert.deepEqual(b.history.map((e) => Object.keys(e)), a.history.map((e) => Object.keys(e)));
    assertClose(numbers(b), numbers(a), { atol: 1e-6, rtol: 1e-5, what: `${iface} on wasm` });
    const other = numbers(await run(iface, 4));
    assert.throws(() => assertClose(other, numbers(a), { atol: 1e-6, rtol: 1e-5 }), "another seed differs");
  }
});

Deno.test("wasm and cpu train the same network to float tolerance", async () => {
  const wasm: Run[] = [];
  for (const iface of INTERFACES) wasm.push(await run(iface, 5));
  const before = tf.getBackend();
  await useBackend("cpu");
  const cpu: Run[] = [];
  try {
    for (const iface of INTERFACES) cpu.push(await run(iface, 5));
  } finally {
    await useBackend(before);
  }
  INTERFACES.forEach((iface, i) =>
    assertClose(cpu[i]!.weights.flat(), wasm[i]!.weights.flat(), { atol: 1e-5, rtol: 1e-4, what: `${iface} weights` })
  );
});
