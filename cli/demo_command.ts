/**
 * `cli.ts demo`: a short, offline version of `compare` on the shipped MNIST: FCN-3 with backprop, sg and csg on
 * every hidden layer, and the TF.js layers peer, 2 epochs each; writes the report to `reports/demo`.
 *
 * @module
 */
import { intFlag, parseFlags } from "./args.ts";
import { runCompare } from "./compare_command.ts";

/** Runs the demo; resolves to the exit status. */
export async function demoCommand(
  args: string[],
  io: { out: (s: string) => void; err: (s: string) => void; live: boolean },
): Promise<number> {
  const values = parseFlags(args, {
    epochs: { type: "string" },
    "train-count": { type: "string" },
    out: { type: "string" },
  });
  const epochs = intFlag(values, "epochs", 2, 1);
  const trainCount = values["train-count"] === undefined ? undefined : intFlag(values, "train-count", 0, 1);
  io.out(`dni demo: MNIST (shipped, offline), FCN-3 with backprop, sg, csg and TF.js layers, ${epochs} epochs each\n`);
  await runCompare({
    interfaces: ["backprop", "sg", "csg", "tfjs-layers"],
    depths: [3],
    datasets: ["mnist"],
    workers: [1],
    staleness: 1,
    epochs,
    batchSize: 128,
    seed: 0,
    target: 0.97,
    out: typeof values.out === "string" ? values.out : "reports/demo",
    trainCount,
    backend: "wasm",
    json: false,
  }, io);
  return 0;
}
