/**
 * `cli.ts train`: trains the network of a spec file (or resumes a checkpoint, `--load`) on a dataset and reports
 * per-epoch progress and the result.
 *
 * @module
 */
import { readSpec } from "./spec_file.ts";
import { checkSaveTarget } from "../checkpoint/save.ts";
import { EXIT_CODES, RunInterrupted } from "./interrupt.ts";
import { DATASET_NAMES } from "../datasets/catalog.ts";
import { loadDataset } from "../datasets/load.ts";
import { buildNetwork } from "../network/build.ts";
import { NON_FINITE_POLICIES, type NonFinitePolicy } from "../network/non_finite_guard.ts";
import { choiceFlag, intFlag, parseFlags, UsageError } from "./args.ts";
import { percent } from "./progress.ts";
import { applyBackendFlags, BACKEND_OPTIONS, BACKEND_USAGE, backendFlags } from "./backend_flags.ts";
import { runTraining } from "./run.ts";
import type { SequenceOptions, SequenceStream } from "../recurrent/sequence_feed.ts";
import { datasetFlags, natsFlags, sequenceSummary } from "./train_flags.ts";
import { DATA_OPTIONS, dataFlags } from "./data_flags.ts";
import { checkResumedFit, loadForResume, resumeFlag, resumeLine } from "./resume.ts";
import {
  ALLOW_PLUGIN_CHANGE_OPTION,
  ALLOW_PLUGIN_CHANGE_USAGE,
  PLUGIN_OPTION,
  PLUGIN_USAGE,
  pluginFlag,
  pluginRegistries,
} from "./plugins.ts";
import { isSequenceSpec } from "../recurrent/build.ts";
import {
  datasetOfStream,
  isSequenceDataset,
  SEQUENCE_DATASETS,
  SEQUENCE_USAGE,
  sequenceData,
  withVocabulary,
} from "./sequence_train.ts";

/** The usage text of `train`. */
export const TRAIN_USAGE = `Usage: deno task train --spec FILE [options]
       deno task train --load DIR [options]   (resume a checkpoint)

  --spec FILE             network spec (JSON)
  --load DIR              resume the checkpoint DIR (written by --save) instead of --spec: its network, optimizer
                          state and seed train on; epochs are numbered on from the checkpoint's (one thread only;
                          give the same --dataset, --train-count, --batch-size as the run that saved it)
  --dataset NAME          ${[...DATASET_NAMES, ...SEQUENCE_DATASETS].join(" | ")} (default mnist)
  --epochs N              epochs to train in this run (default 10); with --load, N more: a checkpoint saved
                          after epoch K trains epochs K+1..K+N
  --batch-size N          examples per step (default 128)
  --seed N                seed of initial weights and data order (default 0; not with --load)
${BACKEND_USAGE}
  --data-dir DIR          read dataset files from DIR (DIR/NAME/FILE or DIR/FILE)
  --train-count N         use only the first N training examples
  --test-count N          use only the first N test examples
  --workers N             run the network's modules (cut at its decoupling interfaces) in N Workers (default 1)
  --staleness K           with --workers: a module runs at most K batches ahead of its messages (default 1)
  --nats URL              run the modules as N stage processes (--stages N) on any host, over the NATS server URL
                          (nats://[USER:PASSWORD@ | TOKEN@]HOST:4222, tls://HOST:4222); start them with
                          deno task stage --nats URL --run NAME --run-key FILE
  --run-key FILE          with --nats: the run's secret, shared with its stage processes (or DNI_RUN_KEY, the key's
                          hex digits); make one with deno task run-key FILE. Every message of the run is sealed
                          with it; with --spawn and no key, a new one is made for the run
  --no-encrypt            with --nats: authenticate every message but do not encrypt it (encrypted by default)
  --nats-ca FILE          with --nats: a PEM file of the CA (or the self-signed certificate) that the server's TLS
                          certificate is checked against, instead of the system's roots (or DNI_NATS_CA)
  --run NAME              with --nats: the run's name; only stage processes of this run take part
  --stages N              with --nats: how many stage processes (default 2)
  --spawn                 with --nats: start the stage processes on this machine, and end them with the run
  --save DIR              save the network to the checkpoint directory DIR after every epoch and at the end
                          (replacing a checkpoint there, the --load one too; anything else there is never
                          overwritten); evaluate it with deno task evaluate --load DIR, train on with
                          deno task train --load DIR. Ctrl-C (or SIGTERM) stops after the batch in flight, saves
                          there and exits 130 (143); a second Ctrl-C exits at once, leaving DIR as it was
  --save-every N          with --save: also save every N steps inside an epoch (long epochs, --steps budgets)
  --on-non-finite WHAT    on a NaN/Inf loss or gradient: error (stop, the default) or skip (that update)
  --validation-split F    hold out the last fraction F of the training set (e.g. 0.1), report validation accuracy
                          each epoch and the best epoch by it (never by the test set)
  --patience N            with --validation-split: stop once validation accuracy has not improved for N epochs
  --json                  print the result as one JSON object, the last line of stdout
${PLUGIN_USAGE}
${ALLOW_PLUGIN_CHANGE_USAGE}
  -h, --help              this text

${SEQUENCE_USAGE}`;

/** Runs `train` with the given arguments; resolves to the exit status. */
export async function trainCommand(
  args: string[],
  io: { out: (s: string) => void; err: (s: string) => void; live: boolean },
): Promise<number> {
  const values = parseFlags(args, {
    spec: { type: "string" },
    load: { type: "string" },
    ...DATA_OPTIONS,
    epochs: { type: "string" },
    "batch-size": { type: "string" },
    seed: { type: "string" },
    ...BACKEND_OPTIONS,
    workers: { type: "string" },
    staleness: { type: "string" },
    nats: { type: "string" },
    "nats-ca": { type: "string" },
    "run-key": { type: "string" },
    "no-encrypt": { type: "boolean" },
    run: { type: "string" },
    stages: { type: "string" },
    spawn: { type: "boolean" },
    save: { type: "string" },
    "save-every": { type: "string" },
    "on-non-finite": { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
    ...PLUGIN_OPTION,
    ...ALLOW_PLUGIN_CHANGE_OPTION,
    truncation: { type: "string" },
    steps: { type: "string" },
    threshold: { type: "string" },
    "start-length": { type: "string" },
    "sequence-length": { type: "string" },
    "log-every": { type: "string" },
    patience: { type: "string" },
  }, "train");
  if (values.help) {
    io.out(TRAIN_USAGE + "\n");
    return 0;
  }
  const load = resumeFlag(values);
  if (load === undefined && typeof values.spec !== "string") {
    throw new UsageError("train needs --spec FILE (or --load DIR to resume a checkpoint)");
  }
  const named = typeof values.dataset === "string" ? values.dataset : undefined;
  // A bad flag is reported before anything is read (a checkpoint's task is known once it is read).
  if (named !== undefined) datasetFlags(named, values);
  const batchSizeFlag = values["batch-size"] === undefined ? undefined : intFlag(values, "batch-size", 128, 1);
  const seed = intFlag(values, "seed", 0, 0);
  const backendChoice = backendFlags(values);
  const dataOptions = dataFlags(values);
  const { validationSplit } = dataOptions;
  const workers = intFlag(values, "workers", 1, 1);
  const staleness = intFlag(values, "staleness", 1, 0);
  const nats = natsFlags(values, workers);
  const onNonFinite = choiceFlag(values, "on-non-finite", NON_FINITE_POLICIES, "error") as NonFinitePolicy;
  const json = values.json === true;
  const patience = values.patience === undefined ? undefined : intFlag(values, "patience", 1, 1);
  const save = values.save as string | undefined;
  if (save === "") throw new UsageError("--save needs a directory");
  const saveEvery = values["save-every"] === undefined ? undefined : intFlag(values, "save-every", 1, 1);
  if (saveEvery !== undefined && save === undefined) {
    throw new UsageError(`--save-every ${saveEvery} saves a checkpoint every ${saveEvery} steps: it needs --save DIR`);
  }
  const plugins = pluginFlag(values);
  const rawSpec = load === undefined ? await readSpec(values.spec as string) : undefined;
  // Before hours of training: a --save target that is not a checkpoint fails now, not at the end.
  if (save !== undefined) await checkSaveTarget(save);
  const backendSays = await applyBackendFlags(backendChoice);
  const registries = await pluginRegistries(plugins);
  const log = json ? io.err : io.out;
  const resumed = load === undefined ? undefined : await loadForResume(load, registries, {
    allowPluginChange: values["allow-plugin-change"] === true,
    onWarning: (m) => io.err(m + "\n"),
  });
  let result, handedOver = false; // runTraining disposes the network it is given
  try {
    const stream = resumed?.network.stream;
    // A resumed seq-mnist stream keeps the validation split it was trained with unless --validation-split says
    // otherwise (else its validation images would be trained on).
    const heldOut = validationSplit ?? (stream?.task === "seq-mnist" ? stream.options.validationSplit : undefined);
    if (stream && named !== undefined && named !== datasetOfStream(stream)) {
      throw new UsageError(
        `checkpoint ${load} trains on --dataset ${
          datasetOfStream(stream)
        }: leave out --dataset ${named} (or give that)`,
      );
    }
    const dataset = named ?? (stream ? datasetOfStream(stream) : "mnist");
    if (!isSequenceDataset(dataset)) choiceFlag({ dataset }, "dataset", [...DATASET_NAMES, ...SEQUENCE_DATASETS], "");
    const sequence = isSequenceDataset(dataset);
    const flags = datasetFlags(dataset, values);
    if (patience !== undefined && heldOut === undefined && !dataset.startsWith("text:")) {
      throw new UsageError("--patience (early stopping) needs --validation-split to watch");
    }
    const isSequenceNetwork = resumed ? resumed.network.kind === "sequence" : isSequenceSpec(rawSpec);
    if (sequence !== isSequenceNetwork) {
      throw new UsageError(
        sequence
          ? `--dataset ${dataset} needs a sequence spec: "input" is one step's features (e.g. [9]) and the first ` +
            `layer an lstm (see examples/copy_lstm_dni.json), but ${load ?? values.spec} is not one`
          : `${load ?? values.spec} is a sequence spec (an lstm first, over one step's input): train it on a ` +
            `sequence task, --dataset ${SEQUENCE_DATASETS.join(" | ")}`,
      );
    }
    const onProgress = (m: string) => io.err(m + "\n");
    const { dataDir, trainCount, testCount } = dataOptions;
    const data = sequence
      ? await sequenceData(dataset, dataOptions, onProgress)
      : await loadDataset(dataset, { dataDir, trainCount, testCount, onProgress });
    const vocabulary = "task" in data && data.task === "text" ? data.corpus.vocabulary.length : undefined;
    const spec = rawSpec === undefined ? undefined : withVocabulary(rawSpec, vocabulary);
    // A bad spec is reported before training starts.
    if (spec !== undefined) buildNetwork(spec, { seed, registries }).dispose();
    log(backendSays + "\n");
    const dataSeed = resumed?.seed ?? seed;
    const batchSize = batchSizeFlag ?? stream?.options.batchSize ?? (sequence ? 32 : 128);
    if (resumed) {
      if (!("task" in data)) checkResumedFit(load!, resumed.network, dataset, data);
      log(resumeLine(load!, resumed) + "\n");
    }
    const first = resumed?.network.epochs ?? 0;
    // A resumed stream keeps its truncation unless --truncation says otherwise.
    const truncation = flags.sequence?.truncation ?? stream?.options.truncation;
    const budget = flags.steps === undefined
      ? `epochs ${first + 1}..${first + flags.epochs!}`
      : `${flags.steps} steps${resumed ? " more" : ""}`;
    log(
      `training ${load === undefined ? values.spec : `checkpoint ${load}`} on ${dataset}` +
        ("task" in data ? "" : ` (${data.train.count} train, ${data.test.count} test)`) +
        `, ${budget}, batch ${batchSize}, seed ${dataSeed}, backend ${backendChoice.backend}` +
        (truncation === undefined && sequence ? ", full BPTT" : "") +
        (truncation === undefined ? "" : `, truncation ${truncation}`) +
        (nats
          ? `, ${nats.stages} stage processes over NATS (run ${nats.run}), staleness ${staleness}`
          : workers > 1
          ? `, ${workers} workers, staleness ${staleness}`
          : "") +
        "\n",
    );
    handedOver = true;
    result = await runTraining(resumed?.network ?? spec!, data, {
      ...(flags.steps === undefined ? { epochs: flags.epochs! } : { steps: flags.steps }),
      // A resumed stream keeps its epochs' length unless --log-every says otherwise.
      ...(stream?.options.stepsPerEpoch !== undefined && values["log-every"] === undefined
        ? { stepsPerEpoch: stream.options.stepsPerEpoch }
        : flags.stepsPerEpoch === undefined
        ? {}
        : { stepsPerEpoch: flags.stepsPerEpoch }),
      ...(sequence ? { sequence: { ...streamOptions(stream), ...flags.sequence } } : {}),
      datasetName: dataset,
      batchSize,
      seed: dataSeed,
      write: log,
      live: io.live && !json,
      workers,
      staleness,
      ...(nats ? { nats } : {}),
      save,
      ...(saveEvery === undefined ? {} : { saveEvery }),
      interruptible: true,
      onNonFinite,
      registries,
      ...(load === undefined ? {} : { resumedFrom: load }),
      ...(heldOut === undefined || dataset.startsWith("text:") ? {} : { validationSplit: heldOut }),
      ...(patience === undefined ? {} : { patience }),
    });
  } catch (error) {
    if (!handedOver) resumed?.network.dispose();
    if (error instanceof RunInterrupted) return error.code; // it said what happened and what is kept
    throw error;
  }
  if (json) io.out(JSON.stringify(result) + "\n");
  if (result.interrupted) return EXIT_CODES[result.interrupted.signal];
  if (!json) {
    const judged = result.sequence ? sequenceSummary(result.sequence) : "";
    io.out(
      judged +
        (result.testAccuracy === undefined || result.sequence
          ? ""
          : `test accuracy ${percent(result.testAccuracy)}  test loss ${result.testLoss!.toFixed(4)}  `) +
        `${Math.round(result.samplesPerSecond)} ${result.sequence ? "sequences" : "samples"}/s  ` +
        `${result.seconds.toFixed(1)}s training` +
        (result.bestEpoch === undefined ? "" : `  best epoch by validation: ${result.bestEpoch}`) + "\n",
    );
  }
  return 0;
}

// A resumed stream's own sequence options (its truncation, text length, curriculum), which flags may override.
function streamOptions(stream: SequenceStream | undefined): SequenceOptions {
  if (stream === undefined) return {};
  const { truncation, sequenceLength, threshold, startLength } = stream.options;
  return {
    ...(truncation === undefined ? {} : { truncation }),
    ...(sequenceLength === undefined ? {} : { sequenceLength }),
    ...(threshold === undefined ? {} : { threshold }),
    ...(startLength === undefined ? {} : { startLength }),
  };
}
