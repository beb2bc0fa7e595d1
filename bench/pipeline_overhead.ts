/**
 * What a 2-Worker pipeline costs per batch, and what it gains: MNIST with a spec (by default FCN-3 on `csg`,
 * `examples/fcn3_csg.json`) trained on one thread and in a pipeline of 2 Workers with each transport (`shared`:
 * ring slots in shared memory; `messages`: arrays copied and transferred in each message), in one process, the
 * configurations taking turns round after round (the order rotates) so that a noisy machine weighs on all of them
 * alike. Prints, per configuration, the median milliseconds per batch of the last epoch of each round and the
 * speedup over one thread, then the pipeline's profile (`pipeline({ onProfile })`): per stage, the median
 * milliseconds per batch spent computing, making tensors of what came in, copying out what goes, posting messages,
 * waiting for a message in transit, and waiting otherwise.
 *
 * ```
 * deno run --allow-read --allow-env --allow-ffi --allow-sys bench/pipeline_overhead.ts --rounds 5
 * ```
 *
 * On the native backend "one thread" runs with the BLAS library's own thread count (one per core) and, as a second
 * row, with one BLAS thread, which is what each pipeline Worker gets.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { backendLine, setBlasThreads, useBackend } from "../backend.ts";
import { loadDataset } from "../datasets/load.ts";
import { buildNetwork } from "../network/build.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { nativeBlas } from "../native/backend.ts";
import { pipeline } from "../parallel/pipeline.ts";
import { STAGE_PARTS } from "../parallel/stage/_clock.ts";
import type { PipelineProfile, Transport } from "../parallel/profile.ts";
import { train } from "../training/train.ts";
import { loadAverages, median } from "./_stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    spec: { type: "string", default: "examples/fcn3_csg.json" },
    rounds: { type: "string", default: "5" },
    epochs: { type: "string", default: "2" },
    staleness: { type: "string", default: "1" },
    "batch-size": { type: "string", default: "128" },
    "train-count": { type: "string" },
    backend: { type: "string" },
    transports: { type: "string", default: "messages,shared" },
  },
  strict: true,
});
const rounds = Number(values.rounds), epochs = Number(values.epochs), staleness = Number(values.staleness);
const batchSize = Number(values["batch-size"]);
if (values.backend !== undefined) await useBackend(values.backend);
const spec = JSON.parse(await Deno.readTextFile(values.spec)) as NetworkSpec;
const trainCount = values["train-count"] === undefined ? undefined : Number(values["train-count"]);
const data = await loadDataset("mnist", { trainCount });
const blas = nativeBlas();
const blasThreads = "reason" in blas ? undefined : blas.threads();

interface Config {
  name: string;
  transport?: Transport;
  blasThreads?: number;
}
const configs: Config[] = [{ name: "one thread" }];
if (backendLine().startsWith("dni: backend native") && blasThreads !== undefined && blasThreads > 1) {
  configs.push({ name: "one thread, 1 BLAS thread", blasThreads: 1 });
}
for (const transport of values.transports.split(",") as Transport[]) {
  configs.push({ name: `2 Workers, ${transport}`, transport });
}

console.log(`${backendLine()}\nload average at start: ${loadAverages()}`);
console.log(
  `${values.spec}, ${data.train.count} examples, batch ${batchSize}, ${epochs} epochs per run (the last one counts), ` +
    `staleness ${staleness}, ${rounds} rounds`,
);

// One run: ms per batch of its last epoch, and that epoch's profile (pipelines).
async function run(config: Config): Promise<{ ms: number; profile?: PipelineProfile }> {
  const net = buildNetwork(spec);
  let profile: PipelineProfile | undefined;
  const strategy = config.transport === undefined
    ? undefined
    : pipeline({ workers: 2, staleness, transport: config.transport, onProfile: (p) => profile = p });
  if (config.blasThreads !== undefined) setBlasThreads(config.blasThreads);
  try {
    const h = await train(net, data, { epochs, batchSize, seed: 0, validate: false, strategy });
    const last = h.epochs.at(-1)!;
    return { ms: (last.seconds * 1000) / Math.ceil(data.train.count / batchSize), profile };
  } finally {
    if (config.blasThreads !== undefined && blasThreads !== undefined) setBlasThreads(blasThreads);
    net.dispose();
  }
}

const results = new Map<string, { ms: number[]; profiles: PipelineProfile[] }>(
  configs.map((c) => [c.name, { ms: [], profiles: [] }]),
);
for (let r = 0; r < rounds; r++) {
  const order = configs.map((_, i) => configs[(i + r) % configs.length]!);
  const line: string[] = [];
  for (const config of order) {
    const { ms, profile } = await run(config);
    results.get(config.name)!.ms.push(ms);
    if (profile) results.get(config.name)!.profiles.push(profile);
    line.push(`${config.name} ${ms.toFixed(2)}`);
  }
  console.log(`round ${r + 1}: ${line.join(", ")} ms/batch`);
}

const base = median(results.get("one thread")!.ms);
console.log(`\n| configuration | ms/batch (median) | min - max | samples/s | speedup over one thread |`);
console.log(`|---|---|---|---|---|`);
for (const [name, { ms }] of results) {
  const m = median(ms);
  console.log(
    `| ${name} | ${m.toFixed(2)} | ${Math.min(...ms).toFixed(2)} - ${Math.max(...ms).toFixed(2)} | ` +
      `${Math.round((batchSize * 1000) / m)} | ${(base / m).toFixed(2)}x |`,
  );
}

// The profile: per stage, the median over rounds of each part's ms per batch.
const OVERHEAD = ["tensors", "copies", "messaging", "transit", "other"] as const;
console.log(
  `\nWhere each stage's time per batch went (ms, medians over rounds; overhead = ${OVERHEAD.join(" + ")}; ` +
    `main thread: making batches, handing them over, taking results), and the messages it posted per batch:\n`,
);
console.log(`| transport | stage | layers | ${STAGE_PARTS.join(" | ")} | overhead | posts/batch |`);
console.log(`|---|---|---|${STAGE_PARTS.map(() => "---").join("|")}|---|---|`);
for (const { profiles } of results.values()) {
  if (profiles.length === 0) continue;
  const transport = profiles[0]!.transport;
  profiles[0]!.stages.forEach(({ lo, hi }, k) => {
    const ms = (f: (typeof profiles)[number]) => f.stages[k]!.ms;
    const parts = STAGE_PARTS.map((p) => median(profiles.map((f) => ms(f)[p])).toFixed(3));
    const overhead = median(profiles.map((f) => OVERHEAD.reduce((sum, p) => sum + ms(f)[p], 0)));
    const posts = median(profiles.map((f) => f.stages[k]!.posts));
    console.log(
      `| ${transport} | ${k} | ${lo}-${hi} | ${parts.join(" | ")} | ${overhead.toFixed(3)} | ${posts.toFixed(2)} |`,
    );
  });
  const mainMs = median(profiles.map((f) => f.coordinatorMs));
  const mainPosts = median(profiles.map((f) => f.coordinatorPosts));
  const blank = STAGE_PARTS.map(() => "").join(" | ");
  console.log(`| ${transport} | main thread | | ${blank} | ${mainMs.toFixed(3)} | ${mainPosts.toFixed(2)} |`);
}
console.log(`\nload average at the end: ${loadAverages()}`);
