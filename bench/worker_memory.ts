/**
 * Memory of a Worker pipeline epoch by epoch: the process's resident set and each stage's live TF.js tensors (from
 * the pipeline's profile), for FCN-3 `csg` with batch norm (the comparison report's model) on MNIST.
 *
 * deno run -A bench/worker_memory.ts [--epochs 12] [--train-count 12000]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { buildNetwork, train } from "../mod.ts";
import { pipeline } from "../parallel/pipeline.ts";
import { loadDataset } from "../datasets/load.ts";
import { compareConfigs } from "../report/configs.ts";

const { values } = parseArgs({ options: { epochs: { type: "string" }, "train-count": { type: "string" } } });
const data = await loadDataset("mnist", { trainCount: Number(values["train-count"] ?? 12000), testCount: 500 });
const net = buildNetwork(compareConfigs(["csg"], [3], ["mnist"], [2])[0]!.spec!);
let stageTensors = "";
console.log("| epoch | RSS MiB | live tensors per stage |\n| --- | --- | --- |");
await train(net, data, {
  epochs: Number(values.epochs ?? 12),
  batchSize: 128,
  seed: 0,
  strategy: pipeline({
    workers: 2,
    staleness: 1,
    onProfile: (p) => stageTensors = p.stages.map((s) => s.tensors).join(" / "),
  }),
  callbacks: {
    onEpochEnd: (r) =>
      console.log(`| ${r.epoch} | ${((r.memory?.rssBytes ?? 0) / 2 ** 20).toFixed(1)} | ${stageTensors} |`),
  },
});
net.dispose();
