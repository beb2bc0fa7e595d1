// The best possible *linear* synthesizer, measured. At every hidden layer k of an MLP, after 0, 1, 3, ... epochs of
// training, this fits by ridge least squares the linear map from the trigger h_k to the true per-example gradient
// g_k = B x dL/dh_k on `--fit` training examples, and scores it on `--test` other training examples: an
// unconditioned one (reads [h, 1], as `sg`) and a conditioned one (reads [h, y, 1], as `csg`). It is the ceiling of
// what a linear synthesizer trained to convergence on the current network could reach.
//
// Why: at the last hidden layer g = W^T (p - y). Once the output layer sits at its stationary point,
// sum (p - y) h^T = 0 and sum (p - y) = 0: the residual is uncorrelated with h, so the best linear h -> g map is ~0
// and an unconditioned linear synthesizer has nothing to say. With y among its inputs it can still predict -W^T y.
//
// h and g come from a forward in "probe" mode (batch statistics over chunks of 500, updating nothing) and the
// layers' own backward, as `network/probe.ts` does; for layers without batch norm that is the eval-mode output.
// Where the network has a decoupling interface, its own synthesizer's cosine on the same examples is given too.
//
//   deno run --allow-read --allow-env --allow-ffi bench/synthesizer_ceiling.ts --spec examples/fcn3_sg_bn.json \
//     --epochs 0,1,3 [--train-count N] [--fit 10000] [--test 2000] [--seed 0] [--batch-size 128] [--json]
import { parseArgs } from "node:util";
import { tf } from "../deps.ts";
import { backendLine } from "../backend.ts";
import { batchTensors } from "../datasets/batch_tensors.ts";
import type { Split } from "../datasets/dataset.ts";
import { loadDataset } from "../datasets/load.ts";
import type { DecouplingInterface } from "../interfaces/interface.ts";
import { buildNetwork } from "../network/build.ts";
import type { Network } from "../network/network.ts";
import { truePass } from "../network/probe.ts";
import { evaluate } from "../training/evaluate.ts";
import { train } from "../training/train.ts";
import { NormalEquations } from "./_least_squares.ts";

const CHUNK = 500; // examples per forward/backward, to bound memory
const RIDGE = 1e-3; // lambda = RIDGE x trace(X^T X) / columns

/** One hidden layer's trigger, true per-example gradient and (for a decoupling interface) synthetic gradient. */
interface LayerChunk {
  h: Float32Array;
  g: Float32Array;
  synthetic?: Float32Array;
}

/** Triggers and true gradients of every hidden layer for examples [start, start + n) of `split`. */
function measureChunk(network: Network, split: Split, start: number, n: number): LayerChunk[] {
  const features = network.inputUnits;
  const at = (width: number) => [start * width, (start + n) * width] as const;
  const batch = { x: split.x.subarray(...at(features)), labels: split.labels.subarray(...at(1)), size: n };
  const { x, labels } = batchTensors(batch, features, network.outputUnits);
  const tensors = tf.tidy(() => {
    const { triggers, trueGradients } = truePass(network, x, labels);
    const gradients = trueGradients.map((g) => tf.mul(g, n)); // per example
    const context = { labels, step: network.steps };
    return network.interfaces.map((iface, k) => [
      triggers[k]!,
      gradients[k]!,
      ...(iface.decouples ? [(iface as DecouplingInterface).synthesize(triggers[k]!, context)] : []),
    ]);
  });
  const chunks = tensors.map(([h, g, synthetic]) => ({
    h: h!.dataSync() as Float32Array,
    g: g!.dataSync() as Float32Array,
    ...(synthetic ? { synthetic: synthetic.dataSync() as Float32Array } : {}),
  }));
  tf.dispose([x, labels, ...tensors.flat()]);
  return chunks;
}

/** The regression inputs [h, y_onehot, 1], Float64 [n, width + classes + 1]. */
function design(h: Float32Array, labels: Uint8Array, n: number, classes: number): Float64Array {
  const width = h.length / n, d = width + classes + 1;
  const x = new Float64Array(n * d);
  for (let r = 0; r < n; r++) {
    x.set(h.subarray(r * width, (r + 1) * width), r * d);
    x[r * d + width + labels[r]!] = 1;
    x[r * d + d - 1] = 1;
  }
  return x;
}

/** X_c A: the predictions of the map A fitted on the columns `columns` of x [n, d]. */
function predict(x: Float64Array, n: number, columns: readonly number[], a: Float64Array, m: number): Float64Array {
  const d = x.length / n;
  const out = new Float64Array(n * m);
  for (let r = 0; r < n; r++) {
    for (let p = 0; p < columns.length; p++) {
      const v = x[r * d + columns[p]!]!;
      if (v === 0) continue;
      for (let j = 0; j < m; j++) out[r * m + j]! += v * a[p * m + j]!;
    }
  }
  return out;
}

/** How a prediction compares with the truth over the held-out examples. */
interface Score {
  /** Mean over examples of the cosine between predicted and true gradient. */
  cosine: number;
  /** Cosine of the flattened [n, width] matrices (`probeGradients`' `cosine`). */
  batchCosine: number;
  /** 1 - SSE / SST (SST around each unit's mean). */
  r2: number;
}

/** Accumulates a `Score` over chunks. */
class Scorer {
  #n = 0;
  #cosines = 0;
  #dot = 0;
  #pp = 0;
  #gg = 0;
  #sse = 0;
  #sum: Float64Array;

  constructor(width: number) {
    this.#sum = new Float64Array(width);
  }

  add(prediction: ArrayLike<number>, truth: ArrayLike<number>, n: number): void {
    const m = this.#sum.length;
    for (let r = 0; r < n; r++) {
      let dot = 0, pp = 0, gg = 0;
      for (let j = 0; j < m; j++) {
        const p = prediction[r * m + j]!, g = truth[r * m + j]!;
        dot += p * g;
        pp += p * p;
        gg += g * g;
        this.#sse += (p - g) ** 2;
        this.#sum[j]! += g;
      }
      this.#cosines += dot / Math.max(Math.sqrt(pp * gg), 1e-30);
      this.#dot += dot;
      this.#pp += pp;
      this.#gg += gg;
    }
    this.#n += n;
  }

  score(): Score {
    const sst = this.#gg - this.#sum.reduce((s, v) => s + v * v, 0) / this.#n;
    return {
      cosine: this.#cosines / this.#n,
      batchCosine: this.#dot / Math.max(Math.sqrt(this.#pp * this.#gg), 1e-30),
      r2: 1 - this.#sse / sst,
    };
  }
}

/** One hidden layer's result at one point of training. */
interface LayerResult {
  layer: number;
  /** Linear h -> g. */
  unconditioned: Score;
  /** Linear [h, y] -> g. */
  conditioned: Score;
  /** The network's own synthesizer (decoupling interfaces only); its R^2 is left out (its scale is its own). */
  synthesizer?: Omit<Score, "r2">;
}

/** Fits the linear maps on examples [0, fit) and scores them on [fit, fit + test). */
function measure(network: Network, split: Split, fit: number, test: number): LayerResult[] {
  const classes = network.outputUnits;
  const widths = network.layers.slice(0, -1).map((l) => l.outputShape.reduce((a, b) => a * b, 1));
  const equations = widths.map((w) => new NormalEquations(w + classes + 1, w));
  for (let start = 0; start < fit; start += CHUNK) {
    const n = Math.min(CHUNK, fit - start);
    const labels = split.labels.subarray(start, start + n);
    measureChunk(network, split, start, n).forEach(({ h, g }, k) => {
      equations[k]!.add(design(h, labels, n, classes), g, n);
    });
  }
  const columns = widths.map((w) => ({
    unconditioned: [...Array(w).keys(), w + classes],
    conditioned: [...Array(w + classes + 1).keys()],
  }));
  const maps = equations.map((e, k) => ({
    unconditioned: e.solve(RIDGE, columns[k]!.unconditioned),
    conditioned: e.solve(RIDGE, columns[k]!.conditioned),
  }));
  const scorers = widths.map((w) => ({ unconditioned: new Scorer(w), conditioned: new Scorer(w), own: new Scorer(w) }));
  for (let start = fit; start < fit + test; start += CHUNK) {
    const n = Math.min(CHUNK, fit + test - start);
    const labels = split.labels.subarray(start, start + n);
    measureChunk(network, split, start, n).forEach(({ h, g, synthetic }, k) => {
      const x = design(h, labels, n, classes);
      for (const kind of ["unconditioned", "conditioned"] as const) {
        scorers[k]![kind].add(predict(x, n, columns[k]![kind], maps[k]![kind], widths[k]!), g, n);
      }
      if (synthetic) scorers[k]!.own.add(synthetic, g, n);
    });
  }
  return scorers.map((s, layer) => {
    const result: LayerResult = {
      layer,
      unconditioned: s.unconditioned.score(),
      conditioned: s.conditioned.score(),
    };
    if (network.interfaces[layer]!.decouples) {
      const { cosine, batchCosine } = s.own.score();
      result.synthesizer = { cosine, batchCosine };
    }
    return result;
  });
}

const USAGE = `Usage: deno run --allow-read --allow-env --allow-ffi bench/synthesizer_ceiling.ts --spec FILE [options]
  --spec FILE        an MLP spec (dense layers), e.g. examples/fcn3_sg_bn.json
  --epochs LIST      epochs trained at each measurement, ascending, e.g. 0,1,3 (default 0,1,3)
  --train-count N    train on the first N MNIST training examples (default all 60000)
  --fit N            fit the linear maps on the first N training examples (default 10000)
  --test N           score them on the next N (default 2000)
  --batch-size N     training batch (default 128)
  --seed N           seed of the weights and the data order (default 0)
  --json             print the result as one JSON line (last line of stdout)`;

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    spec: { type: "string" },
    epochs: { type: "string", default: "0,1,3" },
    "train-count": { type: "string" },
    fit: { type: "string", default: "10000" },
    test: { type: "string", default: "2000" },
    "batch-size": { type: "string", default: "128" },
    seed: { type: "string", default: "0" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (flags.help || flags.spec === undefined) {
  console.log(USAGE);
  Deno.exit(flags.help ? 0 : 2);
}
function whole(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    console.error(`synthesizer_ceiling: --${name} must be a whole number >= ${min}, got "${value}"`);
    Deno.exit(2);
  }
  return n;
}
const epochList = flags.epochs.split(",").map((e) => whole("epochs", e.trim(), 0));
if (epochList.some((e, i) => i > 0 && e < epochList[i - 1]!)) {
  console.error("synthesizer_ceiling: --epochs must be ascending (training is cumulative)");
  Deno.exit(2);
}
const trainCount = flags["train-count"] === undefined ? undefined : whole("train-count", flags["train-count"], 1);
const fit = whole("fit", flags.fit, 1), test = whole("test", flags.test, 1);
const batchSize = whole("batch-size", flags["batch-size"], 1), seed = whole("seed", flags.seed, 0);

const spec = JSON.parse(await Deno.readTextFile(flags.spec));
const data = await loadDataset("mnist", trainCount === undefined ? {} : { trainCount });
if (fit + test > data.train.count) {
  console.error(`synthesizer_ceiling: --fit + --test (${fit + test}) exceed the ${data.train.count} training examples`);
  Deno.exit(2);
}
const network = buildNetwork(spec, { seed });
console.error(backendLine());
console.error(
  `${flags.spec}: training on ${data.train.count} examples, batch ${batchSize}, seed ${seed}; ` +
    `linear maps fitted on examples 0..${fit - 1}, scored on ${fit}..${fit + test - 1}`,
);
const rows: { epochs: number; testAccuracy: number; layers: LayerResult[] }[] = [];
for (const epochs of epochList) {
  const started = performance.now();
  if (epochs > network.epochs) {
    await train(network, data, {
      epochs: epochs - network.epochs,
      initialEpoch: network.epochs,
      batchSize,
      seed,
      validate: false,
      probeSize: 0,
    });
  }
  const trained = performance.now();
  const testAccuracy = evaluate(network, data.test).accuracy;
  rows.push({ epochs, testAccuracy, layers: measure(network, data.train, fit, test) });
  console.error(
    `epoch ${epochs}: test accuracy ${(100 * testAccuracy).toFixed(2)}%, trained ${
      ((trained - started) / 1000).toFixed(0)
    } s, measured ${((performance.now() - trained) / 1000).toFixed(0)} s`,
  );
}
network.dispose();

const f = (v: number) => v.toFixed(3);
const lines = [
  `${flags.spec}, seed ${seed}, ${data.train.count} training examples; fit ${fit}, scored on ${test} held out; ` +
  `cos = mean per-example cosine (whole-batch cosine), R² = 1 - SSE/SST`,
  "",
  "| epochs | test acc | layer | linear h → g: cos (batch) | R² | linear [h, y] → g: cos (batch) | R² | own synthesizer: cos (batch) |",
  "|---:|---:|---:|---:|---:|---:|---:|---:|",
];
for (const row of rows) {
  for (const l of row.layers) {
    const own = l.synthesizer ? `${f(l.synthesizer.cosine)} (${f(l.synthesizer.batchCosine)})` : "–";
    lines.push(
      `| ${row.epochs} | ${(100 * row.testAccuracy).toFixed(2)}% | ${l.layer} | ` +
        `${f(l.unconditioned.cosine)} (${f(l.unconditioned.batchCosine)}) | ${f(l.unconditioned.r2)} | ` +
        `${f(l.conditioned.cosine)} (${f(l.conditioned.batchCosine)}) | ${f(l.conditioned.r2)} | ${own} |`,
    );
  }
}
console.log(lines.join("\n"));
if (flags.json) {
  console.log(JSON.stringify({ spec: flags.spec, seed, trainCount: data.train.count, fit, test, rows }));
}
