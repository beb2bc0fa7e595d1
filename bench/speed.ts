// `deno task speed`: the MNIST FCN-3 (784-256-256-256-10, batch 128, Adam) on dni's native backend (BLAS through
// FFI), on dni's wasm backend and in PyTorch, side by side in one run: the backprop, sg and csg training step, one
// epoch of the 60,000 training examples (dni: `train()`), and the step's GEMM ceiling (its sgemm calls made directly
// through the same BLAS). The machine may be noisy, so the cases alternate: each round times every step case once,
// interleaved (for each interface: native, wasm, PyTorch, GEMM ceiling, in an order that rotates from round to
// round), then every epoch case once; PyTorch is one process (bench/peers/torch_fcn3.py --serve) that times what it
// is asked. The table gives the median over the rounds and the fastest round; each ratio is the median of the
// per-round ratios (the two cases of a ratio ran seconds apart).
//
//   deno task speed                       # 5 rounds: a markdown table on stdout, progress on stderr
//   deno task speed --rounds 3 --steps-only
//   deno task speed --json                # every round of every case, as one JSON object
import { parseArgs } from "node:util";
import { wasmThreadsCount } from "../deps.ts";
import { backendInfo, setBlasThreads } from "../backend.ts";
import { nativeBlas } from "../native/backend.ts";
import { loadDataset } from "../datasets/load.ts";
import { BATCH } from "./_models.ts";
import { flopsOf } from "./_gemm_ceiling.ts";
import { median } from "./_stats.ts";
import { cpuModel, loadAverage } from "./_machine.ts";
import { type ModelBench, MODELS } from "./_speed_models.ts";
import { paired, type Row, speedTable } from "./_speed_table.ts";
import {
  dniRunner,
  gemmRunner,
  type Iface,
  INTERFACES,
  type Runner,
  type RunnerOptions,
  torchRunner,
} from "./_speed_runners.ts";

const USAGE = `deno task speed [options]

  --rounds N        rounds; each times every case once, interleaved, in a rotating order (default 5)
  --steps N         timed training steps per step case per round (default 50)
  --threads N       BLAS threads of the native backend and the GEMM ceiling, PyTorch's threads (default 1)
  --python PATH     the python3 that has torch and numpy (default /usr/bin/python3)
  --steps-only      the training steps and their GEMM ceiling only (no epochs)
  --epochs-only     the epochs only (and the backprop GEMM ceiling)
  --models LIST     the models to time, of fcn3${Object.keys(MODELS).map((m) => `, ${m}`).join("")} (default: all);
                    the FCN-3 has epochs and a GEMM ceiling, the others their steps beside their PyTorch peers
  --json            print one JSON object (every round of every case) instead of the table
  --help`;

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "5" },
    steps: { type: "string", default: "50" },
    threads: { type: "string", default: "1" },
    python: { type: "string", default: "/usr/bin/python3" },
    "steps-only": { type: "boolean", default: false },
    "epochs-only": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    models: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (flags.help) {
  console.log(USAGE);
  Deno.exit(0);
}

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`speed: --${name} must be a whole number >= 1, got "${value}"`);
    Deno.exit(2);
  }
  return n;
}
const ROUNDS = positive("rounds", flags.rounds);
const STEPS = positive("steps", flags.steps);
const THREADS = positive("threads", flags.threads);
const PYTHON = flags.python;
if (flags["steps-only"] && flags["epochs-only"]) {
  console.error("speed: --steps-only and --epochs-only exclude each other");
  Deno.exit(2);
}
const KNOWN_MODELS = ["fcn3", ...Object.keys(MODELS)];
const ASKED = (flags.models ?? KNOWN_MODELS.join(",")).split(",").map((m) => m.trim()).filter((m) => m !== "");
const strange = ASKED.find((m) => !KNOWN_MODELS.includes(m));
if (strange !== undefined || ASKED.length === 0) {
  console.error(`speed: --models takes a list of ${KNOWN_MODELS.join(", ")}, got "${flags.models}"`);
  Deno.exit(2);
}
const FCN3 = ASKED.includes("fcn3");
const DO_STEPS = !flags["epochs-only"];
const DO_EPOCHS = !flags["steps-only"];
const WARMUP = 20; // untimed steps per network before the first round
const SETTLE = 3; // untimed steps before each timed step case (after a backend switch)
const GEMM_REPS = 20; // repetitions of the step's sgemm calls per round
const OPTIONS: RunnerOptions = {
  steps: DO_STEPS,
  epochs: DO_EPOCHS,
  threads: THREADS,
  python: PYTHON,
  warmup: WARMUP,
  settle: SETTLE,
  gemmReps: GEMM_REPS,
};

const log = (line: string) => console.error(line);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const rotate = <T>(xs: readonly T[], by: number): T[] => {
  const k = by % Math.max(xs.length, 1);
  return [...xs.slice(k), ...xs.slice(0, k)];
};

// ---------------------------------------------------------------------------------------------------------------
// The run.

const started = new Date();
const loadAtStart = loadAverage();
const notes: string[] = [];
const skip = (line: string) => {
  log(`speed: ${line}`);
  notes.push(line);
};
log(
  `speed: ${plural(ROUNDS, "round")}${DO_STEPS ? `, ${STEPS} timed steps per step case` : ""}` +
    `${DO_EPOCHS ? ", 1 epoch per epoch case" : ""}`,
);

const blas = nativeBlas();
const runners: Runner[] = [];
const mnist = DO_EPOCHS && FCN3 ? await loadDataset("mnist") : undefined;
if ("reason" in blas) skip(`native backend and GEMM ceiling skipped: ${blas.reason}`);
else setBlasThreads(THREADS);
let torch: Awaited<ReturnType<typeof torchRunner>> = { reason: "the FCN-3 was not asked for" };
let gemm: ReturnType<typeof gemmRunner> | undefined;
if (FCN3) {
  if (!("reason" in blas)) {
    log("speed: warming up native");
    runners.push(await dniRunner("native", mnist, OPTIONS));
  }
  log("speed: warming up wasm");
  runners.push(await dniRunner("wasm", mnist, OPTIONS));
  log(`speed: starting the PyTorch peer (${PYTHON})`);
  torch = await torchRunner(OPTIONS);
  if ("reason" in torch) skip(`PyTorch peer skipped: ${torch.reason}`);
  else runners.push(torch.runner);
  gemm = "reason" in blas ? undefined : gemmRunner(blas, OPTIONS);
  if (gemm) runners.push(gemm);
}
// The other models: their steps only.
const others: ModelBench[] = [];
if (DO_STEPS) {
  for (const name of ASKED.filter((m) => m !== "fcn3")) {
    log(`speed: preparing ${name}`);
    const bench = await MODELS[name]!(OPTIONS);
    for (const line of bench.notes) skip(`${name}: ${line}`);
    others.push(bench);
  }
}
const otherTimes = new Map(
  others.map((m) => [m.model, new Map(m.runners.map((r) => [r.key, new Map<string, number[]>()]))]),
);

const stepTimes = new Map<string, Record<Iface, number[]>>(
  runners.filter((r) => r.steps).map((r) => [r.key, { backprop: [], sg: [], csg: [] }]),
);
const epochTimes = new Map<string, number[]>(runners.filter((r) => r.epoch).map((r) => [r.key, []]));

for (let round = 0; round < ROUNDS; round++) {
  log(`round ${round + 1}/${ROUNDS}`);
  // In --epochs-only, the ceiling of the backprop step is still measured: the epochs are compared with it.
  const ifaces = !FCN3 ? [] : DO_STEPS ? rotate(INTERFACES, round) : ["backprop" as const];
  for (const iface of ifaces) {
    const parts: string[] = [];
    for (const runner of rotate(runners.filter((r) => r.steps && (DO_STEPS || r.key === "gemm")), round)) {
      const ms = await runner.steps!(iface, STEPS);
      stepTimes.get(runner.key)![iface].push(ms);
      parts.push(`${runner.key} ${ms.toFixed(2)}`);
    }
    log(`  ${iface} step, ms: ${parts.join(", ")}`);
  }
  for (const m of rotate(others, round)) {
    for (const c of rotate(m.cases, round)) {
      const parts: string[] = [];
      for (const runner of rotate(m.runners.filter((r) => r.cases.includes(c)), round)) {
        const ms = await runner.steps(c, STEPS);
        const times = otherTimes.get(m.model)!.get(runner.key)!;
        times.set(c, [...times.get(c) ?? [], ms]);
        parts.push(`${runner.key} ${ms.toFixed(2)}`);
      }
      log(`  ${m.model} ${c} step, ms: ${parts.join(", ")}`);
    }
  }
  if (DO_EPOCHS && FCN3) {
    const parts: string[] = [];
    for (const runner of rotate(runners.filter((r) => r.epoch), round)) {
      const seconds = await runner.epoch!(round);
      epochTimes.get(runner.key)!.push(seconds);
      parts.push(`${runner.key} ${seconds.toFixed(2)}`);
    }
    log(`  backprop epoch, s: ${parts.join(", ")}`);
  }
}
for (const runner of [...runners, ...others.flatMap((m) => m.runners)]) await runner.close?.();
const loadAtEnd = loadAverage();

// ---------------------------------------------------------------------------------------------------------------
// The table.

const EXAMPLES = mnist?.train.count ?? 60000;
const BATCHES = Math.ceil(EXAMPLES / BATCH);

const threadsLabel = plural(THREADS, "thread");
const labels: Record<string, string> = {
  native: `dni native (${plural(THREADS, "BLAS thread")})`,
  wasm: "dni wasm",
  pytorch: `PyTorch ${"info" in torch ? torch.info.torch : ""} (${threadsLabel})`,
};

const rows: Row[] = [];
if (DO_STEPS) {
  for (const iface of INTERFACES) {
    const of = (key: string) => stepTimes.get(key)?.[iface];
    const ceiling = of("gemm");
    for (const key of ["native", "wasm", "pytorch"]) {
      const ms = of(key);
      if (ms === undefined) continue;
      rows.push({
        what: `${iface} step: ${labels[key]}`,
        ms,
        vsTorch: paired(ms, of("pytorch")),
        wasmOverNative: key === "native" ? paired(of("wasm")!, ms) : undefined,
        ceiling: ceiling && paired(ceiling, ms),
      });
    }
    if (gemm && ceiling) {
      const flops = flopsOf(gemm.calls[iface]);
      rows.push({
        what: `${iface} step: GEMM ceiling, ${gemm.calls[iface].length} sgemm calls, ${(flops / 1e6).toFixed(1)} ` +
          `MFLOP, at ${(flops / median(ceiling) / 1e6).toFixed(1)} GFLOP/s`,
        ms: ceiling,
        vsTorch: paired(ceiling, of("pytorch")),
        ceiling: 1,
      });
    }
  }
}
for (const m of others) {
  const times = otherTimes.get(m.model)!;
  for (const c of m.cases) {
    const of = (key: string) => times.get(key)?.get(c);
    for (const runner of m.runners) {
      const ms = of(runner.key);
      if (ms === undefined) continue;
      rows.push({
        what: `${m.model} ${c} step: ${runner.key === "pytorch" ? "PyTorch" : labels[runner.key] ?? runner.key}`,
        ms,
        batch: m.batch,
        vsTorch: paired(ms, of("pytorch")),
        wasmOverNative: runner.key === "native" ? paired(of("wasm") ?? [], ms) : undefined,
      });
    }
  }
}
if (DO_EPOCHS) {
  // An epoch's ceiling: the backprop step's, per example, times the examples.
  const ceiling = stepTimes.get("gemm")?.backprop.map((ms) => ms * EXAMPLES / BATCH / 1000);
  for (const key of ["native", "wasm", "pytorch"]) {
    const seconds = epochTimes.get(key);
    if (seconds === undefined) continue;
    rows.push({
      what: `backprop epoch${key === "pytorch" ? "" : ", train()"}: ${labels[key]}`,
      ms: seconds.map((s) => 1000 * s / BATCHES),
      seconds,
      vsTorch: paired(seconds, epochTimes.get("pytorch")),
      wasmOverNative: key === "native" ? paired(epochTimes.get("wasm")!, seconds) : undefined,
      ceiling: ceiling && paired(ceiling, seconds),
    });
  }
}

const machine = {
  cpu: cpuModel(),
  cores: navigator.hardwareConcurrency,
  loadAverage: { start: loadAtStart, end: loadAtEnd },
  os: `${Deno.build.os} ${Deno.build.arch}`,
  deno: Deno.version.deno,
  tfjs: backendInfo().tfjs,
  wasmThreads: wasmThreadsCount(),
  blas: "reason" in blas ? undefined : { description: blas.description, path: blas.path, threads: blas.threads() },
  torch: "info" in torch ? { python: PYTHON, ...torch.info } : undefined,
};
const command = ["deno task speed", ...Deno.args.filter((a) => a !== "--json")].join(" ");
const table = speedTable(rows, BATCH);
const text = [
  `Measured ${started.toISOString().slice(0, 10)} with \`${command}\`: ${plural(ROUNDS, "round")}; in each, ` +
  (DO_STEPS
    ? `every step case once (${STEPS} timed steps on one random MNIST-shaped batch, after ${SETTLE} untimed ` +
      `ones; for each interface native, wasm, PyTorch and the GEMM ceiling one after another, the order ` +
      `rotating from round to round)${DO_EPOCHS ? ", then " : "."}`
    : "") +
  (DO_EPOCHS
    ? `every epoch case once (${
      EXAMPLES.toLocaleString("en-US")
    } MNIST training examples in ${BATCHES} batches of ${BATCH}, ` +
      `shuffled; dni: \`train()\` without evaluation; PyTorch: the data pre-loaded as tensors).`
    : "") +
  " Times are the median over the rounds, the fastest round in parentheses; samples/s is from the median; " +
  "each ratio is the median of the per-round ratios.",
  `Machine: ${machine.cpu}, ${plural(machine.cores, "core")}, ${machine.os}; Deno ${machine.deno}, TF.js ` +
  `${machine.tfjs} (wasm backend: ${plural(machine.wasmThreads, "thread")}); native BLAS: ` +
  (machine.blas
    ? `${machine.blas.description} (${machine.blas.path}, ${plural(machine.blas.threads ?? 0, "thread")})`
    : "none") +
  (machine.torch
    ? `; PyTorch ${machine.torch.torch} (${machine.torch.python}, ${plural(machine.torch.torchThreads, "thread")}; ` +
      `the libblas.so.3 it links: ${machine.torch.blas ?? "not OpenBLAS"}, ` +
      `${plural(machine.torch.blasThreads ?? 0, "thread")})`
    : "") +
  (loadAtStart === undefined || loadAtEnd === undefined
    ? "."
    : `. Load average (1 min) at the start and at the end: ${loadAtStart.toFixed(2)}, ${loadAtEnd.toFixed(2)}.`),
  ...(gemm
    ? [
      "GEMM ceiling: the step's sgemm calls (backprop: forward 4, weight gradients 4, input gradients 3; sg and csg " +
      "add each of the 3 linear synthesizers' forward and weight gradient) called directly through the native " +
      `backend's BLAS on float32 buffers, ${GEMM_REPS} times per round; GFLOP/s is all their FLOPs over all their ` +
      'time. "GEMM ceiling ÷ time" is how near a step comes to doing nothing but its matrix products; an ' +
      "epoch's ceiling is the backprop step's, per example.",
    ]
    : []),
  ...(FCN3
    ? [
      "PyTorch's sg and csg steps are bench/peers/torch_fcn3.py's version of dni's (the same layers, synthesizers, " +
      "updates and sgemm calls), written for this comparison.",
    ]
    : []),
  ...others.map((m) => `${m.model}: ${m.what}; ${m.batch} ${m.unit} per step.`),
  ...notes,
].join("\n\n");

if (flags.json) {
  console.log(JSON.stringify(
    {
      date: started.toISOString(),
      command,
      rounds: ROUNDS,
      stepsPerRound: STEPS,
      machine,
      skipped: notes,
      msPerStep: Object.fromEntries(stepTimes),
      epochSeconds: Object.fromEntries(epochTimes),
      models: Object.fromEntries(
        [...otherTimes].map((
          [model, t],
        ) => [model, Object.fromEntries([...t].map(([k, v]) => [k, Object.fromEntries(v)]))]),
      ),
      gemm: gemm
        ? INTERFACES.map((iface) => ({
          iface,
          flops: flopsOf(gemm.calls[iface]),
          calls: gemm.calls[iface].map((c, i) => ({ ...c, ms: gemm.perCall[iface].map((r) => r[i]) })),
        }))
        : [],
      table,
      text,
    },
    null,
    2,
  ));
} else {
  console.log(`${table}\n\n${text}`);
}
