/**
 * Memory of a Worker pipeline epoch by epoch, for FCN-3 `csg` with batch norm (the comparison report's model) on
 * MNIST: the process's resident set, the main thread's JavaScript heap (used, and `external`: array buffers such
 * as the weights the stages send after each epoch), and per stage its live TF.js tensors, its JavaScript heap
 * (used / total), what that heap holds outside it (`external`) and its TF.js wasm heap (from the pipeline's
 * profile), all after each epoch.
 *
 * deno run -A bench/worker_memory.ts [--epochs 12] [--train-count 12000] [--staleness 1] [--transport shared]
 * deno run -A bench/worker_memory.ts --data-parallel [--epochs 12] [--train-count 12000]
 *
 * `--data-parallel` trains the same FCN-3 with backprop on 2 data-parallel Workers instead (no stage columns).
 *
 * `DNI_BACKEND=wasm` runs it on TF.js's wasm backend instead of the native one.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { buildNetwork, train } from "../mod.ts";
import { pipeline } from "../parallel/pipeline.ts";
import { dataParallel } from "../parallel/data_parallel/data_parallel.ts";
import type { Transport } from "../parallel/profile.ts";
import { loadDataset } from "../datasets/load.ts";
import { compareConfigs } from "../report/configs.ts";

const { values } = parseArgs({
  options: {
    epochs: { type: "string" },
    "train-count": { type: "string" },
    staleness: { type: "string" },
    transport: { type: "string" },
    "data-parallel": { type: "boolean" },
  },
});
const data = await loadDataset("mnist", { trainCount: Number(values["train-count"] ?? 12000), testCount: 500 });
const dataParallelRun = values["data-parallel"] === true;
const net = buildNetwork(compareConfigs([dataParallelRun ? "backprop" : "csg"], [3], ["mnist"], [2])[0]!.spec!);
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
let stages = "";
console.log(
  "| epoch | RSS MiB | main heap used, external MiB | per stage: tensors, heap used/total MiB, external MiB, wasm heap MiB |\n" +
    "| --- | --- | --- | --- |",
);
await train(net, data, {
  epochs: Number(values.epochs ?? 12),
  batchSize: 128,
  seed: 0,
  strategy: dataParallelRun ? dataParallel({ workers: 2 }) : pipeline({
    workers: 2,
    staleness: Number(values.staleness ?? 1),
    transport: (values.transport ?? "shared") as Transport,
    onProfile: (p) =>
      stages = p.stages.map(({ tensors, memory: m }) =>
        `${tensors}, ${mib(m.heapUsed)}/${mib(m.heapTotal)}, ${mib(m.external)}, ${mib(m.wasmHeap)}`
      ).join(" / "),
  }),
  callbacks: {
    onEpochEnd: (r) => {
      const { heapUsed, external } = Deno.memoryUsage();
      console.log(`| ${r.epoch} | ${mib(r.memory?.rssBytes ?? 0)} | ${mib(heapUsed)}, ${mib(external)} | ${stages} |`);
    },
  },
});
net.dispose();
