/**
 * `cli.ts demo`: a short, offline run on the shipped MNIST that trains a few networks side by side and prints a
 * table of accuracy and speed.
 *
 * @module
 */
import { useBackend } from "../backend.ts";
import { loadDataset } from "../datasets/load.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { intFlag, parseFlags } from "./args.ts";
import { percent } from "./progress.ts";
import { type RunResult, runTraining } from "./run.ts";

/** The networks the demo trains: MNIST FCN-1 and FCN-3, every hidden layer on `backprop`. */
export function demoSpecs(): Record<string, NetworkSpec> {
  const fcn = (hidden: number): NetworkSpec => ({
    input: [784],
    layers: [
      ...Array.from(
        { length: hidden },
        () => ({ type: "dense", units: 256, activation: "relu", interface: "backprop" }),
      ),
      { type: "dense", units: 10 },
    ],
    loss: "softmax-cross-entropy",
    optimizer: { type: "adam", learningRate: 0.001 },
  });
  return { "fcn1-backprop": fcn(1), "fcn3-backprop": fcn(3) };
}

/** Runs the demo; resolves to the exit status. */
export async function demoCommand(
  args: string[],
  io: { out: (s: string) => void; err: (s: string) => void; live: boolean },
): Promise<number> {
  const values = parseFlags(args, { epochs: { type: "string" }, "train-count": { type: "string" } });
  const epochs = intFlag(values, "epochs", 2, 1);
  const trainCount = intFlag(values, "train-count", 60000, 1);
  await useBackend("wasm");
  io.out(`dni demo: MNIST (shipped, offline), ${epochs} epochs, batch 128, seed 0, backend wasm\n`);
  const data = await loadDataset("mnist", { trainCount });
  const rows: [string, RunResult][] = [];
  for (const [name, spec] of Object.entries(demoSpecs())) {
    rows.push([
      name,
      runTraining(spec, data, { epochs, batchSize: 128, seed: 0, write: io.out, live: io.live, label: name }),
    ]);
  }
  io.out("\n| network | parameters | test accuracy | samples/s | seconds |\n|---|---|---|---|---|\n");
  for (const [name, r] of rows) {
    io.out(
      `| ${name} | ${r.parameters} | ${percent(r.testAccuracy)} | ${Math.round(r.samplesPerSecond)} | ${
        r.seconds.toFixed(1)
      } |\n`,
    );
  }
  return 0;
}
