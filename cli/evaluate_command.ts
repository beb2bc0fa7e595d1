/**
 * `cli.ts evaluate`: loads a checkpoint and reports its test loss and accuracy on a dataset.
 *
 * @module
 */
import { type BackendInfo, backendInfo } from "../backend.ts";
import { loadCheckpoint } from "../checkpoint/load.ts";
import { DATASET_NAMES } from "../datasets/catalog.ts";
import { loadDataset } from "../datasets/load.ts";
import { evaluate } from "../training/evaluate.ts";
import { choiceFlag, intFlag, parseFlags, UsageError } from "./args.ts";
import { applyBackendFlags, BACKEND_OPTIONS, BACKEND_USAGE, backendFlags } from "./backend_flags.ts";
import { percent } from "./progress.ts";
import { PLUGIN_OPTION, PLUGIN_USAGE, pluginFlag, pluginRegistries } from "./plugins.ts";

/** The usage text of `evaluate`. */
export const EVALUATE_USAGE = `Usage: deno task evaluate --load DIR [options]

  --load DIR              checkpoint directory (written by deno task train --save DIR)
  --dataset NAME          ${DATASET_NAMES.join(" | ")} (default mnist)
  --data-dir DIR          read dataset files from DIR (DIR/NAME/FILE or DIR/FILE)
  --test-count N          use only the first N test examples
${BACKEND_USAGE}
  --json                  print the result as one JSON object, the last line of stdout
${PLUGIN_USAGE}
  -h, --help              this text`;

/** What `evaluate --json` prints. */
export interface EvaluateResult {
  /** The checkpoint directory. */
  checkpoint: string;
  /** The network's training steps when it was saved. */
  steps: number;
  /** Dataset name and number of test examples. */
  dataset: { name: string; test: number };
  /** Mean test loss. */
  testLoss: number;
  /** Test accuracy, in [0, 1]. */
  testAccuracy: number;
  /** Backend and versions. */
  backend: BackendInfo;
}

/** Runs `evaluate` with the given arguments; resolves to the exit status. */
export async function evaluateCommand(
  args: string[],
  io: { out: (s: string) => void; err: (s: string) => void },
): Promise<number> {
  const values = parseFlags(args, {
    load: { type: "string" },
    dataset: { type: "string" },
    "data-dir": { type: "string" },
    "test-count": { type: "string" },
    ...BACKEND_OPTIONS,
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
    ...PLUGIN_OPTION,
  }, "evaluate");
  if (values.help) {
    io.out(EVALUATE_USAGE + "\n");
    return 0;
  }
  if (typeof values.load !== "string" || values.load === "") throw new UsageError("evaluate needs --load DIR");
  const dir = values.load;
  const name = choiceFlag(values, "dataset", DATASET_NAMES, "mnist");
  const testCount = values["test-count"] === undefined ? undefined : intFlag(values, "test-count", 0, 1);
  const backend = backendFlags(values);
  const plugins = pluginFlag(values);
  const backendSays = await applyBackendFlags(backend);
  const registries = await pluginRegistries(plugins);
  const network = await loadCheckpoint(dir, { registries }); // a bad checkpoint fails before the dataset is read
  try {
    const data = await loadDataset(name, {
      dataDir: values["data-dir"] as string | undefined,
      trainCount: 1, // only the test split is used
      testCount,
      onProgress: (m) => io.err(m + "\n"),
    });
    if (data.features !== network.inputUnits || data.classes !== network.outputUnits) {
      throw new RangeError(
        `Dataset "${name}" has ${data.features} features and ${data.classes} classes; the network of checkpoint ` +
          `${dir} takes ${network.inputUnits} inputs and has ${network.outputUnits} outputs`,
      );
    }
    io.err(backendSays + "\n");
    const { loss, accuracy, count } = evaluate(network, data.test);
    const result: EvaluateResult = {
      checkpoint: dir,
      steps: network.steps,
      dataset: { name, test: count },
      testLoss: loss,
      testAccuracy: accuracy,
      backend: backendInfo(),
    };
    if (values.json === true) io.out(JSON.stringify(result) + "\n");
    else {
      io.out(
        `checkpoint ${dir} (${network.steps} steps) on ${name} (${count} test examples): ` +
          `test accuracy ${percent(accuracy)}  test loss ${loss.toFixed(4)}\n`,
      );
    }
    return 0;
  } finally {
    network.dispose();
  }
}
