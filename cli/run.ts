/**
 * Trains one spec on one dataset with progress output and gathers the result the CLI prints.
 *
 * @module
 */
import { backendInfo } from "../backend.ts";
import type { Dataset } from "../datasets/dataset.ts";
import { saveCheckpoint } from "../checkpoint/save.ts";
import { buildNetwork } from "../network/build.ts";
import { Network } from "../network/network.ts";
import { summarize, summaryText } from "../network/summary.ts";
import type { Registries } from "../network/registries.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { workerPlan, workersStrategy } from "../parallel/workers.ts";
import { pipeline } from "../parallel/pipeline.ts";
import type { PipelineNatsOptions } from "../parallel/pipeline_options.ts";
import type { NonFinitePolicy } from "../network/non_finite_guard.ts";
import { type EpochRecord, type History, train } from "../training/train.ts";
import type { CheckpointInfo } from "../training/history.ts";
import {
  type Interrupt,
  type InterruptOptions,
  listenForInterrupt,
  RunInterrupted,
  type StopSignal,
} from "./interrupt.ts";
import type { TrainOptions } from "../training/options.ts";
import type { SequenceData } from "../recurrent/sequence_data.ts";
import { type SequenceResult, sequenceResult } from "../recurrent/sequence_result.ts";
import { Progress, type Write } from "./progress.ts";

/** What a training run gives back to the CLI (and its `--json` line). */
export interface RunResult {
  /** The normalised spec that was trained. */
  spec: NetworkSpec;
  /** Dataset name and sizes (a sequence task: its `--dataset` name; sizes where it has splits). */
  dataset: { name: string; train?: number; test?: number };
  /** Backend and versions. */
  backend: { backend: string; tfjs: string; wasm: string };
  /** Seed, batch size. */
  seed: number;
  batchSize: number;
  /** Per-epoch records. */
  epochs: EpochRecord[];
  /** Test accuracy after the last epoch, in [0, 1] (where there is a test split). */
  testAccuracy?: number;
  /** Test loss after the last epoch (where there is a test split). */
  testLoss?: number;
  /** A sequence task: the numbers it is judged by (max length solved, bits per character, test accuracy). */
  sequence?: SequenceResult;
  /** Training samples per second over the run (evaluation excluded). */
  samplesPerSecond: number;
  /** Seconds of training (evaluation excluded). */
  seconds: number;
  /** Trainable parameters of the layers. */
  parameters: number;
  /** Parameters of the interfaces (synthesizers, local classifiers), trained alongside and not needed to predict. */
  interfaceParameters: number;
  /** With a validation split: the epoch of highest validation accuracy. */
  bestEpoch?: number;
  /** The checkpoint directory the trained network was saved to, if any. */
  checkpoint?: string;
  /** With `train --load`: the checkpoint resumed, and the epochs and steps it had been trained. */
  resumed?: { checkpoint: string; epochs: number; steps: number };
  /** Set when a signal stopped the run: where (the epoch and the batches of it trained), and which signal. */
  interrupted?: { epoch: number; batch: number; signal: StopSignal };
}

/** A pipeline over NATS: the server, the run's name, how many stage processes, and whether to start them here. */
export interface NatsRun {
  url: string;
  run: string;
  stages: number;
  spawn?: boolean;
  /** A PEM file of the CA the server's TLS certificate is checked against. */
  ca?: string;
  /** The run key's file, or its hex digits (`DNI_RUN_KEY`). */
  keyFile?: string;
  key?: string;
  /** False: authenticate messages only. */
  encrypt?: boolean;
}

/** Options of `runTraining`. */
export interface RunOptions {
  /** Epochs (left out with `steps`). */
  epochs?: number;
  /** A budget of steps (batches) instead of epochs. */
  steps?: number;
  /** Batches per epoch (see `TrainOptions.stepsPerEpoch`). */
  stepsPerEpoch?: number;
  /** A sequence task's options. */
  sequence?: TrainOptions["sequence"];
  /** The `--dataset` name, for the result. */
  datasetName?: string;
  batchSize: number;
  seed: number;
  /** Where progress goes. */
  write: Write;
  /** Draw a live bar. */
  live: boolean;
  /** Prefix of progress lines. */
  label?: string;
  /**
   * Workers: > 1 runs a pipeline of the network's modules (cut at its decoupling interfaces), or data-parallel
   * replicas when nothing decouples (`workersStrategy`). @default {1}
   */
  workers?: number;
  /** Pipeline staleness bound. */
  staleness?: number;
  /** Run the pipeline's stages as processes over NATS instead of Workers (`workers` is then ignored). */
  nats?: NatsRun;
  /** Where the spec's names are looked up (with the `--plugin` modules loaded). @default {defaultRegistries} */
  registries?: Registries;
  /**
   * Save the network to this checkpoint directory after every epoch and at the end, with its whole training state
   * (gathered from the Workers or stage processes, where it ran there).
   */
  save?: string;
  /** With `save`: also save every this many steps inside an epoch. */
  saveEvery?: number;
  /**
   * SIGINT and SIGTERM stop the run (`listenForInterrupt`): it saves where it stopped (with `save`) and says so; a
   * second signal exits at once, and so does a run that has not stopped within `graceMs`. @default {false}
   */
  interruptible?: boolean | Pick<InterruptOptions, "graceMs" | "exit">;
  /** On a NaN or infinite loss or gradient: stop, or skip that update. @default {"error"} */
  onNonFinite?: NonFinitePolicy;
  /** The checkpoint directory the network was loaded from (when `runTraining` is given a network). */
  resumedFrom?: string;
  /** Hold this fraction of the training split out for validation (see `TrainOptions.validationSplit`). */
  validationSplit?: number;
  /** Early stopping: epochs without a better validation accuracy before training stops. */
  patience?: number;
}

/**
 * Builds `spec` (or takes a loaded network, which trains on from its `epochs`: `epochs` more, numbered after them),
 * trains it on `dataset`, and returns the result; the network is disposed.
 */
export async function runTraining(
  source: NetworkSpec | Network,
  dataset: Dataset | SequenceData,
  options: RunOptions,
): Promise<RunResult> {
  const { batchSize, seed, write, live, label, workers = 1, staleness, save, onNonFinite, registries } = options;
  const network = source instanceof Network ? source : buildNetwork(source, { seed, registries });
  let interrupt: Interrupt | undefined;
  const [initialEpoch, initialSteps] = [network.epochs, network.steps];
  try {
    const summary = summarize(network);
    write(summaryText(summary) + "\n");
    const plan = workerPlan(network, workers);
    const strategy = options.nats
      ? pipeline({ workers: options.nats.stages, staleness, transport: "nats", nats: natsOptions(options.nats) })
      : workersStrategy(network, { workers: plan.workers, staleness });
    if (workers > 1 || options.nats) {
      write(`running: ${strategy.name}${plan.capped ? ` (--workers ${workers} asked; ${plan.capped})` : ""}\n`);
    }
    const epochs = options.epochs ?? Math.ceil(options.steps! / (options.stepsPerEpoch ?? options.steps!));
    const progress = new Progress(write, live, initialEpoch + epochs, label);
    const checkpoints = save === undefined ? undefined : checkpointing(network, save);
    // Where the run stands, for the line said when it does not stop in time.
    let at = { epoch: initialEpoch + 1, batch: 0 };
    interrupt = options.interruptible
      ? listenForInterrupt({
        ...(options.interruptible === true ? {} : options.interruptible),
        onLate: () => {
          progress.clear();
          write(
            `interrupted at epoch ${at.epoch}, batch ${at.batch}: the run did not stop and hand back its state within ` +
              `${(graceMs(options.interruptible) / 1000).toFixed(0)} s; ${keptLine(save, checkpoints?.last)}\n`,
          );
        },
      })
      : undefined;
    const history: History = await train(network, dataset, {
      ...(options.steps === undefined ? { epochs } : { steps: options.steps }),
      ...(options.stepsPerEpoch === undefined ? {} : { stepsPerEpoch: options.stepsPerEpoch }),
      ...(options.sequence === undefined ? {} : { sequence: options.sequence }),
      initialEpoch,
      batchSize,
      seed,
      strategy,
      onNonFinite,
      ...(options.validationSplit === undefined ? {} : { validationSplit: options.validationSplit }),
      ...(options.patience === undefined ? {} : { patience: options.patience }),
      ...(interrupt === undefined ? {} : { signal: interrupt.signal }),
      ...(options.saveEvery === undefined ? {} : { checkpointEvery: options.saveEvery }),
      callbacks: {
        onBatchEnd: (b) => {
          at = { epoch: b.epoch, batch: b.batch };
          progress.batch(b);
        },
        onEpochEnd: (r) => progress.epoch(r),
        ...(checkpoints ? { onCheckpoint: checkpoints.save } : {}),
      },
    }).catch((error) => {
      // Stopping failed (a stage process died with the signal, a save failed): say what the last save kept.
      const signal = interrupt?.received;
      if (signal === undefined) throw error;
      progress.clear();
      const line = `interrupted at epoch ${at.epoch}, batch ${at.batch}: ${(error as Error).message}; ` +
        keptLine(save, checkpoints?.last);
      write(line + "\n");
      throw new RunInterrupted(line, signal);
    });
    const stopped = history.interrupted;
    if (stopped !== undefined) {
      progress.clear();
      write(
        `interrupted at epoch ${stopped.epoch}, batch ${stopped.batch}: ` +
          (save === undefined ? "nothing saved (no --save)" : `saved ${save}`) + "\n",
      );
    } else if (save !== undefined) write(`saved checkpoint ${save}\n`);
    const last = history.epochs[history.epochs.length - 1];
    return {
      spec: network.getSpec(),
      dataset: "task" in dataset
        ? {
          name: options.datasetName ?? dataset.task,
          ...(dataset.task === "seq-mnist" ? { train: dataset.train.count, test: dataset.test.count } : {}),
        }
        : { name: dataset.name, train: dataset.train.count, test: dataset.test.count },
      backend: backendInfo(),
      seed,
      batchSize,
      epochs: history.epochs,
      ...(last?.testAccuracy === undefined ? {} : { testAccuracy: last.testAccuracy, testLoss: last.testLoss! }),
      ...("task" in dataset && last !== undefined ? { sequence: sequenceResult(dataset.task, history) } : {}),
      samplesPerSecond: history.samplesPerSecond,
      seconds: history.seconds,
      parameters: summary.parameters,
      interfaceParameters: summary.interfaceParameters,
      ...(history.bestEpoch === undefined ? {} : { bestEpoch: history.bestEpoch }),
      ...(save !== undefined ? { checkpoint: save } : {}),
      ...(options.resumedFrom === undefined
        ? {}
        : { resumed: { checkpoint: options.resumedFrom, epochs: initialEpoch, steps: initialSteps } }),
      ...(stopped === undefined ? {} : { interrupted: { ...stopped, signal: interrupt!.received ?? "SIGINT" } }),
    };
  } finally {
    interrupt?.dispose();
    network.dispose();
  }
}

// Saves the network to `dir` whenever a checkpoint is due (each epoch's end, every --save-every steps, an
// interruption), and remembers where the last one stood.
function checkpointing(network: Network, dir: string) {
  const saved: { last?: { epoch: number; batch: number }; save: (at: CheckpointInfo) => Promise<void> } = {
    save: async (at) => {
      await saveCheckpoint(network, dir);
      saved.last = at.reason === "epoch" ? { epoch: at.epoch, batch: 0 } : { epoch: at.epoch, batch: at.batch };
    },
  };
  return saved;
}

// What the checkpoint directory keeps when a run could not save where it stopped.
function keptLine(save: string | undefined, kept: { epoch: number; batch: number } | undefined): string {
  if (save === undefined) return "nothing saved (no --save)";
  if (kept === undefined) return `${save} was not written`;
  return `${save} keeps the checkpoint of epoch ${kept.epoch}${kept.batch ? `, batch ${kept.batch}` : ""}`;
}

// The grace time of an interruptible run (ms).
function graceMs(option: RunOptions["interruptible"]): number {
  return typeof option === "object" && option.graceMs !== undefined ? option.graceMs : 10_000;
}

// The pipeline's NATS options of a run: all but the number of stages (the pipeline's workers).
function natsOptions({ stages: _, ...nats }: NatsRun): PipelineNatsOptions {
  return nats;
}
