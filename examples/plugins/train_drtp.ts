/**
 * Trains MNIST FCN-3 with the `drtp` plugin of `drtp.ts`, registered in registries of its own (not the global
 * default), from a spec that names it (`fcn3_drtp.json`), and prints the test accuracy.
 *
 * ```sh
 * deno run --allow-read --allow-env examples/plugins/train_drtp.ts               # 2 epochs on 10,000 examples
 * deno run --allow-read --allow-env examples/plugins/train_drtp.ts --compare     # also backprop, csg, frozen
 * ```
 *
 * Options: `--epochs N` (2), `--train N` (10000 training examples), `--test N` (2000 test examples), `--compare`
 * (the same network and data with every hidden layer on `backprop`, on `csg`, and frozen).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { buildNetwork, createRegistries, loadDataset, loadPlugin, type NetworkSpec, train } from "../../mod.ts";
import spec from "./fcn3_drtp.json" with { type: "json" };

const USAGE = "Usage: train_drtp.ts [--epochs N] [--train N] [--test N] [--compare]";
let values;
try {
  ({ values } = parseArgs({
    args: Deno.args,
    options: {
      epochs: { type: "string", default: "2" },
      train: { type: "string", default: "10000" },
      test: { type: "string", default: "2000" },
      compare: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  }));
} catch (error) {
  console.error(`error: ${(error as Error).message}\n${USAGE}`);
  Deno.exit(2);
}
if (values.help) {
  console.log(USAGE);
  Deno.exit(0);
}
const [epochs, trainCount, testCount] = [values.epochs, values.train, values.test].map(Number) as [
  number,
  number,
  number,
];
for (const [flag, n] of [["--epochs", epochs], ["--train", trainCount], ["--test", testCount]] as const) {
  if (!Number.isInteger(n) || n < 1) {
    console.error(`error: ${flag} must be an integer >= 1, got ${JSON.stringify(values[flag.slice(2) as "epochs"])}`);
    Deno.exit(2);
  }
}

// The plugin module goes into registries of our own: a spec can name it, the default registries stay untouched, and
// Workers (a pipeline strategy) would load the same module.
const registries = createRegistries();
await loadPlugin(new URL("./drtp.ts", import.meta.url).href, registries);

const data = await loadDataset("mnist", { trainCount, testCount });
const runs: [string, NetworkSpec][] = [["drtp", spec as NetworkSpec]];
if (values.compare) {
  const withInterface = (iface: NetworkSpec["layers"][number]["interface"]): NetworkSpec => ({
    ...spec as NetworkSpec,
    layers: spec.layers.map((l, i) => i < spec.layers.length - 1 ? { ...l, interface: iface } : l),
  });
  runs.push(
    ["backprop", withInterface("backprop")],
    ["csg", withInterface("csg")],
    ["frozen (hidden layers never update)", withInterface({ type: "sg", updateProbability: 1e-9 })],
  );
}

console.log(`MNIST, ${data.train.count} training / ${data.test.count} test examples, ${epochs} epochs, batch 128`);
for (const [name, s] of runs) {
  const net = buildNetwork(s, { registries });
  if (name === "drtp") console.log(net.toString());
  const history = await train(net, data, { epochs, batchSize: 128, seed: 0 });
  const last = history.epochs[history.epochs.length - 1]!;
  const cosines = last.interfaces?.map((d) => d.cosine?.toFixed(2)).join(" / ");
  console.log(
    `${name}: test accuracy ${(100 * last.testAccuracy!).toFixed(2)}%, ` +
      `${Math.round(history.samplesPerSecond)} samples/s` + (cosines ? `, cosine to true gradient ${cosines}` : ""),
  );
  net.dispose();
}
