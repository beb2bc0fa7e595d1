import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { setBlasThreads, useBackend } from "../backend.ts";
import { nativeBlas } from "../native/backend.ts";
import { syntheticDataset } from "../datasets/synthetic.ts";
import { buildNetwork } from "../network/build.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { train } from "../training/train.ts";
import { dataParallel } from "./data_parallel/data_parallel.ts";
import { pipeline, WorkerError } from "./pipeline.ts";
import type { FromReplica, ToReplica } from "./data_parallel/data_worker.ts";
import { holdOneBlasThread } from "./_blas_threads.ts";
import { requires } from "../tests/_requires.ts";

const data = syntheticDataset({ features: 12, classes: 3, trainCount: 96, testCount: 24, seed: 1 });
const decoupled: NetworkSpec = {
  input: [12],
  layers: [
    { type: "dense", units: 8, activation: "relu", interface: "csg" },
    { type: "dense", units: 8, activation: "relu", interface: "sg" },
    { type: "dense", units: 3 },
  ],
  optimizer: { type: "adam", learningRate: 0.01 },
};
const coupled: NetworkSpec = { ...decoupled, layers: [{ type: "dense", units: 8 }, { type: "dense", units: 3 }] };
const blas = nativeBlas();
const native = !("reason" in blas);
const needsBlas = requires(
  "parallel/worker_backend_test.ts",
  "the native backend's Worker tests",
  "reason" in blas ? blas.reason : undefined,
);
const backends = native ? ["cpu", "wasm", "native"] : ["cpu", "wasm"];
const weights = (net: ReturnType<typeof buildNetwork>) =>
  net.variables.map((v) => v.dataSync().slice() as Float32Array);

// Runs `body` on `backend`, then puts back the backend that was active.
async function on(backend: string, body: () => Promise<void>): Promise<void> {
  const before = tf.getBackend();
  await useBackend(backend);
  try {
    await body();
  } finally {
    await useBackend(before);
  }
}

Deno.test("a Worker starts on the backend the coordinator names in its init message and says so", async () => {
  const net = buildNetwork(coupled);
  const init = { kind: "init" as const, spec: net.getSpec(), plugins: [], seed: 0, weights: weights(net) };
  for (const backend of backends) {
    const worker = new Worker(new URL("./data_parallel/data_worker.ts", import.meta.url).href, { type: "module" });
    try {
      const reply = await new Promise<FromReplica>((resolve) => {
        worker.onmessage = (e: MessageEvent<FromReplica>) => resolve(e.data);
        worker.postMessage({ ...init, backend } satisfies ToReplica);
      });
      assert.deepEqual(reply, { kind: "ready", backend });
    } finally {
      worker.terminate();
    }
  }
  net.dispose();
});

Deno.test("Workers run on the coordinator's backend: a staleness-0 pipeline equals one thread on each backend", async () => {
  for (const backend of backends) {
    await on(backend, async () => {
      const single = buildNetwork(decoupled), piped = buildNetwork(decoupled);
      const h1 = await train(single, data, { epochs: 2, batchSize: 32, seed: 3 });
      const h2 = await train(piped, data, {
        epochs: 2,
        batchSize: 32,
        seed: 3,
        strategy: pipeline({ workers: 2, staleness: 0 }),
      });
      // Exact: the stages compute with the same kernels as this thread (a wasm stage under a cpu thread would not).
      assert.deepEqual(h2.epochs.map((e) => e.loss), h1.epochs.map((e) => e.loss), backend);
      assert.deepEqual(weights(piped), weights(single), backend);
      single.dispose();
      piped.dispose();
      const bp = buildNetwork(coupled);
      await train(bp, data, { epochs: 1, batchSize: 32, strategy: dataParallel({ workers: 2 }) });
      bp.dispose();
    });
  }
});

Deno.test("a Worker strategy holds the BLAS library at one thread while it runs and puts the count back", {
  ignore: needsBlas.ignore,
}, async () => {
  needsBlas.check();
  const b = blas as Exclude<typeof blas, { reason: string }>;
  const before = b.threads()!;
  setBlasThreads(2);
  try {
    const seen: number[] = [];
    const during = { onBatchEnd: () => void seen.push(b.threads()!) };
    await on("native", async () => {
      const net = buildNetwork(decoupled), bp = buildNetwork(coupled);
      await train(net, data, { batchSize: 32, strategy: pipeline({ workers: 2 }), callbacks: during });
      assert.equal(b.threads(), 2, "restored after the pipeline");
      await train(bp, data, { batchSize: 32, strategy: dataParallel({ workers: 2 }), callbacks: during });
      assert.equal(b.threads(), 2, "restored after data-parallel");
      assert.ok(seen.length === 6 && seen.every((n) => n === 1), `threads during the epochs: ${seen}`);
      // Also when a Worker fails.
      await assert.rejects(
        () => train(net, data, { batchSize: 16, strategy: pipeline({ workers: 2, failStage: 1 }) }),
        WorkerError,
      );
      assert.equal(b.threads(), 2, "restored after a failure");
      net.dispose();
      bp.dispose();
    });
    // Overlapping holds: the count comes back when the last one ends, once.
    const first = holdOneBlasThread(), second = holdOneBlasThread();
    assert.equal(b.threads(), 1);
    first();
    first();
    assert.equal(b.threads(), 1, "still held by the second");
    second();
    assert.equal(b.threads(), 2);
  } finally {
    setBlasThreads(before);
  }
});
