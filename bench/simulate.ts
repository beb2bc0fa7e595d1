/**
 * The pipeline on N hosts, simulated (`parallel/simulate/simulate.ts`) from a profiling run on this machine
 * (`parallel/simulate/profile_modules.ts`: each module of the spec trained on one thread, on one BLAS thread: one core per
 * host): prints, per host count and link, the predicted seconds per epoch, the speedup over one-thread backprop
 * (measured here, on one BLAS thread and on the BLAS library's default threads) and each stage's utilisation. With
 * `--measure` it also runs the real 2-Worker pipeline (or, with `--nats URL`, 2 stage processes over that NATS server,
 * the link measured rather than given; `--server-pid PID` adds the server's CPU) and prints predicted against measured,
 * with a core per stage and with this machine's cores shared; `--co-run K` takes the profile and the
 * link's costs with K busy neighbours (Workers training a copy of the network), as a stage has them on a machine with
 * fewer cores than busy threads.
 *
 * ```
 * deno run -A bench/simulate.ts --spec examples/fcn3_csg.json --stages 2 --measure
 * deno run -A bench/simulate.ts --spec examples/fcn3_csg.json --stages 2 --measure --co-run 1 --nats nats://127.0.0.1:4222
 * deno run -A bench/simulate.ts --mlp 8x1024:csg --stages 2,4,8 --links loopback,10g,1g
 * ```
 *
 * Links: `loopback` (no latency, no bandwidth limit), `10g` (0.05 ms, 1.25e9 bytes/s), `1g` (0.2 ms, 1.25e8
 * bytes/s), `1g-far` (0.5 ms, 1.25e8 bytes/s), or `NAME=LATENCY_MS/BYTES_PER_S`; `--latency-ms` and `--bandwidth` give one link of their own.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { backendInfo, backendLine, setBlasThreads, useBackend } from "../backend.ts";
import { batchTensors } from "../datasets/batch_tensors.ts";
import { batches } from "../datasets/dataset.ts";
import { loadDataset } from "../datasets/load.ts";
import { tf } from "../deps.ts";
import { nativeBlas } from "../native/backend.ts";
import { buildNetwork } from "../network/build.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { pipeline } from "../parallel/pipeline.ts";
import type { PipelineProfile } from "../parallel/profile.ts";
import { profileModules, stagesFromProfile } from "../parallel/simulate/profile_modules.ts";
import { simulatePipeline } from "../parallel/simulate/simulate.ts";
import { train } from "../training/train.ts";
import { natsLink, withBusyNeighbours, workerWake } from "./_link_costs.ts";
import { loadAverages, median } from "./_stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    spec: { type: "string", default: "examples/fcn3_csg.json" },
    mlp: { type: "string" }, // DEPTHxWIDTH:INTERFACE, e.g. 8x1024:csg
    stages: { type: "string", default: "2" },
    links: { type: "string", default: "loopback" },
    "latency-ms": { type: "string" },
    bandwidth: { type: "string" },
    "overhead-ms": { type: "string" },
    "wake-ms": { type: "string" },
    staleness: { type: "string", default: "1" },
    "batch-size": { type: "string", default: "128" },
    "train-count": { type: "string" },
    "profile-batches": { type: "string", default: "150" },
    measure: { type: "boolean", default: false },
    rounds: { type: "string", default: "3" },
    backend: { type: "string" },
    "co-run": { type: "string", default: "0" },
    nats: { type: "string" }, // with --measure: run the real pipeline over this NATS server, stage processes spawned
    "server-pid": { type: "string" }, // the NATS server's pid: its CPU per byte is measured during the link test
  },
  strict: true,
});
if (values.backend !== undefined) await useBackend(values.backend);
const batchSize = Number(values["batch-size"]), staleness = Number(values.staleness);
const trainCount = values["train-count"] === undefined ? undefined : Number(values["train-count"]);
const data = await loadDataset("mnist", { trainCount });
const epochBatches = Math.ceil(data.train.count / batchSize);

// The spec: a file, or a generated MLP of DEPTH hidden layers of WIDTH units with INTERFACE on each.
function mlpSpec(text: string): NetworkSpec {
  const m = /^(\d+)x(\d+):([\w-]+)$/.exec(text);
  if (m === null) throw new RangeError(`--mlp must look like 8x1024:csg, got ${JSON.stringify(text)}`);
  const [depth, width, iface] = [Number(m[1]), Number(m[2]), m[3]!];
  const hidden = Array.from(
    { length: depth },
    () => ({ type: "dense", units: width, activation: "relu", interface: iface }),
  );
  return {
    input: [784],
    layers: [...hidden, { type: "dense", units: 10 }],
    loss: "softmax-cross-entropy",
    optimizer: { type: "adam", learningRate: 0.001 },
  } as NetworkSpec;
}
const spec = values.mlp !== undefined
  ? mlpSpec(values.mlp)
  : JSON.parse(await Deno.readTextFile(values.spec)) as NetworkSpec;
const name = values.mlp !== undefined ? `MLP ${values.mlp}` : values.spec;
const backpropSpec = {
  ...spec,
  layers: spec.layers.map((l, i) => i < spec.layers.length - 1 ? { ...l, interface: "backprop" } : l),
} as NetworkSpec;

const KNOWN: Record<string, [number, number]> = {
  loopback: [0, Infinity],
  "10g": [0.05, 1.25e9],
  "1g": [0.2, 1.25e8],
  "1g-far": [0.5, 1.25e8],
};
const links: { name: string; latencyMs: number; bandwidth: number }[] =
  values["latency-ms"] !== undefined || values.bandwidth !== undefined
    ? [{ name: "given", latencyMs: Number(values["latency-ms"] ?? 0), bandwidth: Number(values.bandwidth ?? Infinity) }]
    : values.links.split(",").map((l) => {
      const [n, given] = l.split("=");
      const [latencyMs, bandwidth] = given === undefined ? KNOWN[n!] ?? [NaN, NaN] : given.split("/").map(Number);
      if (!(latencyMs! >= 0)) {
        throw new RangeError(`Unknown link ${JSON.stringify(l)}: use NAME=LATENCY_MS/BYTES_PER_S`);
      }
      return { name: n!, latencyMs: latencyMs!, bandwidth: bandwidth! };
    });

const blas = nativeBlas();
const defaultThreads = "reason" in blas ? undefined : blas.threads();
const round = (x: number, d = 3) => x.toFixed(d);
console.log(`${backendLine()}\nload average at start: ${loadAverages()}`);
// `--co-run K`: K busy neighbours (Workers training a copy of the network) while profiling and measuring the links,
// so that the inputs pay what a stage pays when the machine's other cores are busy too (2 stages on 2 cores: K = 1).
const coRun = Number(values["co-run"]);
if (!Number.isInteger(coRun) || coRun < 0) {
  throw new RangeError(`--co-run must be an integer >= 0, got ${values["co-run"]}`);
}
const withTwins = <T>(work: () => T | Promise<T>) =>
  withBusyNeighbours(coRun, { spec, backend: backendInfo().backend, rows: batchSize }, work);
if (coRun > 0) {
  console.log(`profiled and links measured with ${coRun} busy neighbour(s) training a copy of the network (--co-run)`);
}
const woken = await withTwins(() => workerWake());
const overheadMs = values["overhead-ms"] !== undefined ? Number(values["overhead-ms"]) : woken.postMs;
const wakeMs = values["wake-ms"] !== undefined ? Number(values["wake-ms"]) : woken.wakeMs;
console.log(
  `a sleeping Worker starts on a message ${round(woken.wakeMs)} ms after it is posted (median), posting costs ` +
    `${round(woken.postMs)} ms; the model uses wake ${round(wakeMs)} ms and overhead ${round(overheadMs)} ms per item`,
);
const profileBatches = Number(values["profile-batches"]);
console.log(
  `${name}: ${data.train.count} examples, batch ${batchSize} (${epochBatches} batches per epoch), staleness ` +
    `${staleness}; profiled on ${profileBatches} batches, on one BLAS thread`,
);

// Ms per batch of one-thread training (trainStep) of `s` over `count` batches after a warm-up.
function stepMs(s: NetworkSpec, count: number): number {
  const net = buildNetwork(s);
  let ms = 0, n = 0;
  for (const b of batches(data.train, data.features, batchSize, 1)) {
    if (n >= count + 5) break;
    const t = performance.now();
    const { x, labels: y } = batchTensors(b, data.features, data.classes);
    net.trainStep(x, y);
    tf.dispose([x, y]);
    if (n++ >= 5) ms += performance.now() - t;
  }
  net.dispose();
  return ms / count;
}

// A batch source of `count` batches (the training split repeated as needed).
function* some(count: number) {
  for (let seed = 1, n = 0;; seed++) {
    for (const b of batches(data.train, data.features, batchSize, seed)) {
      if (n++ >= count) return;
      yield b;
    }
  }
}

setBlasThreads(1);
const net = buildNetwork(spec);
const profile = await withTwins(() => profileModules(net, some(profileBatches + 10), { warmup: 10 }));
const backprop1 = stepMs(backpropSpec, profileBatches);
const own1 = stepMs(spec, profileBatches);
if (defaultThreads !== undefined) setBlasThreads(defaultThreads);
const backpropN = defaultThreads !== undefined && defaultThreads > 1 ? stepMs(backpropSpec, profileBatches) : backprop1;
console.log(`\nModules (ms per batch on one core; bytes per batch):\n`);
console.log(`| layers | in | forward+update | out | message from above | product | bytes up | message bytes |`);
console.log(`|---|---|---|---|---|---|---|---|`);
for (const m of profile.modules) {
  console.log(
    `| ${m.lo}-${m.hi} | ${round(m.inMs)} | ${round(m.forwardMs)} | ${round(m.outMs)} | ${round(m.messageMs)} | ` +
      `${round(m.productMs)} | ${m.outputBytes} | ${m.messageBytes} (factored ${m.factoredBytes}) |`,
  );
}
const sPerEpoch = (ms: number) => (ms * epochBatches) / 1000;
console.log(
  `\nOne thread, measured: backprop ${round(backprop1)} ms/batch on 1 BLAS thread (${round(sPerEpoch(backprop1), 2)} ` +
    `s/epoch), ${round(backpropN)} on ${defaultThreads ?? 1} (${round(sPerEpoch(backpropN), 2)} s/epoch); ${name} ` +
    `${round(own1)} ms/batch on 1 BLAS thread (${round(sPerEpoch(own1), 2)} s/epoch); coordinator ` +
    `${round(profile.feedMs)} ms/batch\n`,
);

const counts = values.stages.split(",").map(Number);
const predicted = new Map<string, number>();
console.log(
  `| hosts | link | stages (layers) | s/epoch | vs backprop 1 core | vs backprop ${defaultThreads ?? 1} threads | ` +
    `utilisation per stage | MB sent per epoch |`,
);
console.log(`|---|---|---|---|---|---|---|---|`);
const seen = new Set<number>();
for (const count of counts) {
  const stages = stagesFromProfile(net, profile, count);
  if (seen.has(stages.length)) continue; // more hosts than modules: the same stages again
  seen.add(stages.length);
  const { planStages } = await import("../parallel/partition.ts");
  const layout = count === 1 ? "all" : planStages(net, count).map((s) => `${s.lo}-${s.hi}`).join(", ");
  for (const link of links) {
    const r = simulatePipeline({
      stages,
      batches: epochBatches,
      staleness,
      latencyMs: link.latencyMs,
      bandwidth: link.bandwidth,
      overheadMs,
      wakeMs,
      feedMs: profile.feedMs,
    });
    predicted.set(`${count} ${link.name}`, r.secondsPerEpoch);
    console.log(
      `| ${stages.length} | ${link.name} | ${layout} | ${round(r.secondsPerEpoch, 2)} | ` +
        `${round(sPerEpoch(backprop1) / r.secondsPerEpoch, 2)}x | ${
          round(sPerEpoch(backpropN) / r.secondsPerEpoch, 2)
        }x | ` +
        `${r.stages.map((s) => `${Math.round(s.utilisation * 100)}%`).join(" ")} | ${round(r.bytesSent / 1e6, 1)} |`,
    );
  }
}
net.dispose();

if (values.measure) {
  // Rounds of: profile again and predict 2 stages on the first link, then run the real 2-Worker pipeline (2 epochs,
  // the second counts), so that a noisy machine weighs on both alike.
  const rows: { predicted: number; shared: number; measured: number; replay: number }[] = [];
  const BUSY = ["compute", "tensors", "copies", "messaging", "other"] as const;
  let last: PipelineProfile | undefined;
  for (let r = 0; r < Number(values.rounds); r++) {
    setBlasThreads(1);
    const probe = buildNetwork(spec);
    const p = await withTwins(() => profileModules(probe, some(profileBatches + 10), { warmup: 10 }));
    const two = stagesFromProfile(probe, p, 2);
    // Per batch, what is not a stage's work in the profile: the coordinator making the batch, and over NATS its
    // encoding of the batch, stage 0's decoding of it and the server's routing of every item (costs per byte of the
    // link test, scaled to the bytes of each).
    const inputBytes = batchSize * (data.features * 4 + 1);
    let background = p.feedMs;
    const itemBytes = Math.max(...two.map((s) => Math.max(s.forwardBytes ?? 0, s.messageBytes ?? 0)));
    const link = values.nats === undefined
      ? { latencyMs: links[0]!.latencyMs, bandwidth: links[0]!.bandwidth, overheadMs, wakeMs }
      : await withTwins(() => natsLink(values.nats!, itemBytes, values["server-pid"])).then((l) => {
        const perByte = (ms: number) => ms / itemBytes;
        const routed = inputBytes + (two[0]!.forwardBytes ?? 0) + (two[1]!.messageBytes ?? 0);
        two[0]!.forwardMs += perByte(l.decodeMs) * inputBytes;
        background += perByte(l.encodeMs) * inputBytes + perByte(l.serverMs) * routed;
        console.log(
          `NATS link: ${round(l.latencyMs)} ms one way, ${round(l.postMs)} ms to encode, publish and decode ` +
            `(encode ${round(l.encodeMs)}, decode ${round(l.decodeMs)}), server CPU ${round(l.serverMs)} ms per ` +
            `${itemBytes}-byte message${values["server-pid"] === undefined ? " (not measured: --server-pid)" : ""}; ` +
            `${routed} bytes routed per batch`,
        );
        return { latencyMs: l.latencyMs, bandwidth: Infinity, overheadMs: l.postMs, wakeMs: 0 };
      });
    const sim = simulatePipeline({ stages: two, batches: epochBatches, staleness, ...link, feedMs: p.feedMs });
    // The same on this machine's cores, shared by the 2 stages and the background (the run does share them).
    const shared = simulatePipeline({
      stages: two,
      batches: epochBatches,
      staleness,
      ...link,
      feedMs: p.feedMs,
      cores: navigator.hardwareConcurrency,
      backgroundMs: background,
    });
    probe.dispose();
    if (defaultThreads !== undefined) setBlasThreads(defaultThreads);
    const real = buildNetwork(spec);
    const profiles: PipelineProfile[] = [];
    const strategy = pipeline({
      workers: 2,
      staleness,
      onProfile: (q) => profiles.push(q),
      ...(values.nats === undefined
        ? {}
        : { transport: "nats" as const, nats: { url: values.nats, run: `bench-${Deno.pid}-${r}`, spawn: true } }),
    });
    await train(real, data, { epochs: 2, batchSize, seed: 0, validate: false, strategy });
    real.dispose();
    last = profiles.at(-1)!;
    // The replay: the simulator fed with what each Worker itself was busy with per batch (its profile), which checks
    // the event model apart from the inputs.
    const replay = simulatePipeline({
      stages: last.stages.map((st) => ({ forwardMs: BUSY.reduce((ms, part) => ms + st.ms[part], 0) })),
      batches: epochBatches,
      staleness,
      ...(values.nats === undefined ? { wakeMs } : { latencyMs: link.latencyMs }),
      feedMs: last.coordinatorMs,
    }).secondsPerEpoch;
    rows.push({
      predicted: sim.secondsPerEpoch,
      shared: shared.secondsPerEpoch,
      measured: (last.msPerBatch * last.batches) / 1000,
      replay,
    });
    const busy = (ms: number) => round(ms / epochBatches, 2);
    console.log(
      `  busy ms per batch per stage, predicted (a core each; ${navigator.hardwareConcurrency} cores shared) / ` +
        `measured: ${
          sim.stages.map((st, k) => {
            const real = last!.stages[k]!.ms;
            return `${busy(st.busyMs)} (${busy(shared.stages[k]!.busyMs)}) / ${
              round(BUSY.reduce((ms, part) => ms + real[part], 0), 2)
            }`;
          }).join(", ")
        }; background ${round(background, 2)} ms per batch`,
    );
    const { predicted: pr, shared: sh, measured: me } = rows.at(-1)!;
    const error = (x: number) => `${round(((x - me) / me) * 100, 1)}%`;
    console.log(
      `round ${r + 1}: predicted ${round(pr)} s/epoch (a core each), ${round(sh)} (cores shared), measured ` +
        `${round(me)}, errors ${error(pr)}, ${error(sh)}; replay of the stages' busy times ${round(replay)} ` +
        `(${error(replay)})`,
    );
  }
  const pm = median(rows.map((x) => x.predicted)), mm = median(rows.map((x) => x.measured));
  const ps = median(rows.map((x) => x.shared));
  console.log(
    `\n2 ${
      values.nats === undefined
        ? `Workers (${links[0]!.name} link, wake ${round(wakeMs)} ms, overhead ${round(overheadMs)} ms)`
        : "stage processes over NATS"
    }: predicted ${round(pm)} s/epoch (a core each), ${round(ps)} (cores shared), ` +
      `measured ${round(mm)} (medians of ${rows.length} rounds), errors ${round(((pm - mm) / mm) * 100, 1)}%, ` +
      `${round(((ps - mm) / mm) * 100, 1)}%; ` +
      `replay ${round(median(rows.map((x) => x.replay)))}`,
  );
  console.log(`Last measured profile, ms per batch per stage:`);
  for (const s of last!.stages) {
    console.log(
      `  layers ${s.lo}-${s.hi}: ${Object.entries(s.ms).map(([k, v]) => `${k} ${round(v)}`).join(", ")}, ` +
        `posts ${round(s.posts, 2)}`,
    );
  }
}
console.log(`\nload average at the end: ${loadAverages()}`);
