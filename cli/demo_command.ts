/**
 * `deno task demo`: a short, offline version of `compare` on the shipped MNIST: FCN-3 with backprop, sg and csg on
 * every hidden layer, and the TF.js layers peer, 2 epochs each; writes the report to `reports/demo`.
 *
 * @module
 */
import { defaultBackend } from "../backend.ts";
import { intFlag, parseFlags } from "./args.ts";
import { runCompare } from "./compare_command.ts";

/** The usage text of `demo`. */
export const DEMO_USAGE = `Usage: deno task demo [options]

  Trains FCN-3 (784-256-256-256-10) on the shipped MNIST with backprop, sg and csg on every hidden layer, and the
  same model in TF.js layers, one after another, and writes the comparison report (report.md, report.json, SVG
  learning curves). Offline; a few minutes on two cores.

  --epochs N              epochs per configuration (default 2)
  --train-count N         use only the first N training examples (default all 60000)
  --out DIR               where the report goes (default reports/demo)
  -h, --help              this text

  For more configurations, depths, datasets or Workers: deno task compare --help`;

/** Runs the demo; resolves to the exit status. */
export async function demoCommand(
  args: string[],
  io: { out: (s: string) => void; err: (s: string) => void; live: boolean },
): Promise<number> {
  const values = parseFlags(args, {
    epochs: { type: "string" },
    "train-count": { type: "string" },
    out: { type: "string" },
    help: { type: "boolean", short: "h" },
  }, "demo");
  if (values.help) {
    io.out(DEMO_USAGE + "\n");
    return 0;
  }
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
    backend: { backend: defaultBackend() },
    json: false,
  }, io);
  return 0;
}
