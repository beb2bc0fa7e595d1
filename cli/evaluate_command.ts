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
import { choiceFlag, parseFlags, UsageError } from "./args.ts";
import { applyBackendFlags, BACKEND_OPTIONS, BACKEND_USAGE, backendFlags } from "./backend_flags.ts";
import { percent } from "./progress.ts";
import {
  ALLOW_PLUGIN_CHANGE_OPTION,
  ALLOW_PLUGIN_CHANGE_USAGE,
  PLUGIN_OPTION,
  PLUGIN_USAGE,
  pluginFlag,
  pluginRegistries,
} from "./plugins.ts";
import type { Network } from "../network/network.ts";
import { evaluateTask, type TaskEvaluation } from "../recurrent/evaluate_task.ts";
import { datasetOfStream, isSequenceDataset, sequenceData } from "./sequence_train.ts";
import { DATA_OPTIONS, type DataFlags, dataFlags } from "./data_flags.ts";
import { refuseEvaluateFlags } from "./evaluate_flags.ts";

/** The usage text of `evaluate`. */
export const EVALUATE_USAGE = `Usage: deno task evaluate --load DIR [options]

  --load DIR              checkpoint directory (written by deno task train --save DIR)
  --dataset NAME          ${DATASET_NAMES.join(" | ")} (default mnist); a sequence checkpoint is measured
                          on its own task (copy, repeat-copy, seq-mnist, text:PATH), which it records
  --data-dir DIR          read dataset files from DIR (DIR/NAME/FILE or DIR/FILE); mnist, fashion-mnist, seq-mnist
  --test-count N          use only the first N test examples; mnist, fashion-mnist, seq-mnist
  --train-count N         seq-mnist with a validation split: its run's --train-count (the split is the last
                          fraction of the first N training images)
  --validation-split F    text: its run's --validation-split (the validation part is the last fraction F of the
                          text; default 0.1); a seq-mnist checkpoint records its own
  The data flags of train that do not apply to a checkpoint are refused with the reason.
${BACKEND_USAGE}
  --json                  print the result as one JSON object, the last line of stdout
${PLUGIN_USAGE}
${ALLOW_PLUGIN_CHANGE_USAGE}
  -h, --help              this text`;

/** What `evaluate --json` prints. */
export interface EvaluateResult {
  /** The checkpoint directory. */
  checkpoint: string;
  /** The network's training steps when it was saved. */
  steps: number;
  /** Dataset name and number of test examples. */
  dataset: { name: string; test: number };
  /** Mean test loss (where there is a test split). */
  testLoss?: number;
  /** Test accuracy, in [0, 1] (where there is a test split). */
  testAccuracy?: number;
  /** A sequence checkpoint: what its task measured (see `evaluateTask`). */
  sequence?: TaskEvaluation;
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
    ...DATA_OPTIONS,
    ...BACKEND_OPTIONS,
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
    ...PLUGIN_OPTION,
    ...ALLOW_PLUGIN_CHANGE_OPTION,
  }, "evaluate");
  if (values.help) {
    io.out(EVALUATE_USAGE + "\n");
    return 0;
  }
  if (typeof values.load !== "string" || values.load === "") throw new UsageError("evaluate needs --load DIR");
  const dir = values.load;
  const data = dataFlags(values);
  const backend = backendFlags(values);
  const plugins = pluginFlag(values);
  const backendSays = await applyBackendFlags(backend);
  const registries = await pluginRegistries(plugins);
  // A bad --dataset is a usage error before anything is read (a sequence task's is checked against the checkpoint).
  if (values.dataset !== undefined && !isSequenceDataset(String(values.dataset))) {
    choiceFlag(values, "dataset", DATASET_NAMES, "mnist");
  }
  // A bad checkpoint fails before the dataset is read.
  const network = await loadCheckpoint(dir, {
    registries,
    allowPluginChange: values["allow-plugin-change"] === true,
    onWarning: (m) => io.err(m + "\n"),
  });
  try {
    if (network.kind === "sequence") return await evaluateSequences(network, dir, values, data, io, backendSays);
    refuseEvaluateFlags(dir, undefined, values);
    const name = choiceFlag(values, "dataset", DATASET_NAMES, "mnist");
    const dataset = await loadDataset(name, {
      dataDir: data.dataDir,
      trainCount: 1, // only the test split is used
      testCount: data.testCount,
      onProgress: (m) => io.err(m + "\n"),
    });
    if (dataset.features !== network.inputUnits || dataset.classes !== network.outputUnits) {
      throw new RangeError(
        `Dataset "${name}" has ${dataset.features} features and ${dataset.classes} classes; the network of checkpoint ` +
          `${dir} takes ${network.inputUnits} inputs and has ${network.outputUnits} outputs`,
      );
    }
    io.err(backendSays + "\n");
    const { loss, accuracy, count } = evaluate(network, dataset.test);
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
        `checkpoint ${dir} (${network.steps} steps${savedInside(network)}) on ${name} (${count} test examples): ` +
          `test accuracy ${percent(accuracy)}  test loss ${loss.toFixed(4)}\n`,
      );
    }
    return 0;
  } finally {
    network.dispose();
  }
}

// A sequence checkpoint on its own task: the numbers its run ended with.
async function evaluateSequences(
  network: Network,
  dir: string,
  values: Record<string, unknown>,
  flags: DataFlags,
  io: { out: (s: string) => void; err: (s: string) => void },
  backendSays: string,
): Promise<number> {
  const stream = network.stream;
  if (stream === undefined) {
    throw new UsageError(
      `checkpoint ${dir} holds a sequence network that was never trained on a task: nothing to measure`,
    );
  }
  const name = datasetOfStream(stream);
  if (values.dataset !== undefined && values.dataset !== name) {
    throw new UsageError(`checkpoint ${dir} was trained on --dataset ${name}: leave out --dataset ${values.dataset}`);
  }
  refuseEvaluateFlags(dir, stream, values);
  const data = await sequenceData(name, flags, (m) => io.err(m + "\n"));
  io.err(backendSays + "\n");
  const e = evaluateTask(network, data);
  const result: EvaluateResult = {
    checkpoint: dir,
    steps: network.steps,
    dataset: { name, test: e.test?.sequences ?? 0 },
    ...(e.test ? { testAccuracy: e.test.correct / e.test.steps, testLoss: e.test.loss } : {}),
    sequence: e,
    backend: backendInfo(),
  };
  if (values.json === true) io.out(JSON.stringify(result) + "\n");
  else {
    const parts = [
      ...(e.maxSequenceLength === undefined ? [] : [`max sequence length ${e.maxSequenceLength}`]),
      ...(e.level === undefined ? [] : [`level ${e.level}`]),
      ...(e.probe ? [`probe error ${(e.probe.bits / e.probe.steps).toFixed(3)} bits at that level`] : []),
      ...(e.test ? [`test accuracy ${percent(e.test.correct / e.test.steps)}`] : []),
      ...(e.validation && stream.task === "text"
        ? [`validation ${(e.validation.bits / e.validation.steps).toFixed(3)} bits/char`]
        : []),
      ...(e.validation && stream.task === "seq-mnist"
        ? [`validation accuracy ${percent(e.validation.correct / e.validation.steps)}`]
        : []),
    ];
    const steps = `${stream.position.batches} steps, ${network.steps} window updates`;
    io.out(`checkpoint ${dir} (${network.epochs} epochs, ${steps}) on ${name}: ${parts.join("  ")}\n`);
  }
  return 0;
}

// Where a checkpoint saved inside an epoch (an interrupted run, --save-every) stands, for the line it is evaluated in.
function savedInside(network: Network): string {
  const inside = network.epochProgress;
  return inside === undefined ? "" : `, saved inside epoch ${network.epochs + 1} after batch ${inside.batch}`;
}
