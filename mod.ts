/**
 * `dni`: train neural networks with Decoupled Neural Interfaces and synthetic gradients (Jaderberg et al. 2016),
 * on TensorFlow.js (the native backend, BLAS through Deno's FFI, when a BLAS library loads; else wasm).
 *
 * A network is built from a JSON-able spec; each hidden layer's output is bound to a neural interface that
 * decides which gradient reaches the layer, and when (`backprop` waits for the true gradient).
 *
 * @example Train a small classifier on MNIST
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetwork, evaluate, loadDataset, train } from "./mod.ts";
 *
 * const mnist = await loadDataset("mnist", { trainCount: 2000, testCount: 500 });
 * const net = buildNetwork({
 *   input: [784],
 *   layers: [
 *     { type: "dense", units: 64, activation: "relu", interface: "backprop" },
 *     { type: "dense", units: 10 },
 *   ],
 *   loss: "softmax-cross-entropy",
 *   optimizer: { type: "adam", learningRate: 0.001 },
 * });
 * const history = await train(net, mnist, { epochs: 1, batchSize: 64, seed: 1 });
 * const { accuracy } = evaluate(net, mnist.test);
 * assert.equal(history.epochs[0]?.testAccuracy, accuracy);
 * assert.ok(accuracy > 0.5, `test accuracy ${accuracy} after one short epoch (chance: 0.1)`);
 * net.dispose();
 * ```
 *
 * @module
 */
import type { InterfaceFactory } from "./interfaces/interface.ts";
import { defaultRegistries } from "./network/registries.ts";

export { tf } from "./deps.ts";
export {
  type BackendInfo,
  backendInfo,
  backendLine,
  type BackendName,
  BACKENDS,
  defaultBackend,
  setBlasThreads,
  useBackend,
} from "./backend.ts";
export { CheckpointError, DatasetError, DivergenceError, PluginError, SpecError } from "./errors.ts";
export { Random } from "./random.ts";
export { Registry } from "./registry.ts";

export type {
  ForwardMode,
  Layer,
  LayerCache,
  LayerConfig,
  LayerContext,
  LayerFactory,
  LayerGradients,
  Shape,
} from "./layers/layer.ts";
export { showShape, sizeOf } from "./layers/layer.ts";
export { Dense, type DenseConfig } from "./layers/dense.ts";
export { BatchNorm, type BatchNormCache, type BatchNormOptions } from "./layers/batch_norm.ts";
export { ACTIVATION_NAMES } from "./layers/activation.ts";
export {
  Lstm,
  type LstmConfig,
  type LstmSequenceGradients,
  type LstmSequenceOutput,
  type LstmState,
} from "./layers/lstm.ts";

export type {
  CoupledInterface,
  DecouplingInterface,
  Diagnosing,
  InterfaceBase,
  InterfaceConfig,
  InterfaceContext,
  InterfaceFactory,
  MessageFree,
  NeuralInterface,
  StepContext,
  TrainingStateful,
} from "./interfaces/interface.ts";
export { hasDiagnostics, hasTrainingState, needsMessage } from "./interfaces/interface.ts";
export { ConfiguredInterface, CoupledBase, DecouplingBase } from "./interfaces/base.ts";
export { Backprop } from "./interfaces/backprop.ts";
export { createLocalLoss, LocalLoss } from "./interfaces/local_loss.ts";
export { requireLabels } from "./interfaces/require_labels.ts";

export type { Optimizer, OptimizerConfig, OptimizerFactory } from "./optimizers/optimizer.ts";
export {
  type CosineSchedule,
  type ScheduleConfig,
  scheduleFactor,
  type StepSchedule,
  validateSchedule,
} from "./optimizers/schedule.ts";
export type { Loss, LossFactory } from "./losses/loss.ts";

export type { LayerSpec, NetworkSpec } from "./network/spec.ts";
export { Network, type RangeOptions, type RangeResult, type StepResult } from "./network/network.ts";
export type { EpochProgress } from "./network/epoch_progress.ts";
export type { BackwardLowest } from "./network/step_types.ts";
export { buildNetwork, type BuildOptions, NETWORK_MAX_LAYERS, NETWORK_MAX_VALUES } from "./network/build.ts";
export { type ForwardUnlockConfig, type ForwardUnlockOptions, InputSynthesizer } from "./network/input_synthesizer.ts";
export { type NetworkSummary, summarize, type SummaryRow, summaryText } from "./network/summary.ts";
export { type ShardGradients, shardGradients } from "./network/shard_gradients.ts";
export { createRegistries, defaultRegistries, type Registries } from "./network/registries.ts";
export {
  loadedPluginSha256,
  loadPlugin,
  loadPlugins,
  type PluginModule,
  pluginSha256,
  pluginUrl,
} from "./network/plugins.ts";

export { type Batch, batches, type Dataset, type Split } from "./datasets/dataset.ts";
export { loadDataset, type LoadOptions } from "./datasets/load.ts";
export { DATASET_NAMES } from "./datasets/catalog.ts";
export { syntheticDataset, type SyntheticOptions } from "./datasets/synthetic.ts";
export { holdOutValidation } from "./datasets/validation.ts";
export { type IdxArray, parseIdx, readIdx } from "./datasets/idx.ts";

export { checkSaveTarget, saveCheckpoint, type SaveCheckpointOptions } from "./checkpoint/save.ts";
export { loadCheckpoint, type LoadCheckpointOptions, loadWeights, networkFromCheckpoint } from "./checkpoint/load.ts";
export { type Checkpoint, readCheckpoint } from "./checkpoint/read.ts";
export { type RestoreOptions } from "./checkpoint/restore.ts";
export type { FileOps } from "./checkpoint/_replace_directory.ts";
export {
  type ArrayEntry,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointManifest,
  type PluginEntry,
} from "./checkpoint/format.ts";
export type { OptimizerState } from "./optimizers/optimizer.ts";
export type { StateArray, TrainingState } from "./optimizers/state.ts";

export { evaluate, type Evaluation } from "./training/evaluate.ts";
export {
  type BatchInfo,
  type CheckpointInfo,
  type EpochRecord,
  type History,
  type InterfaceDiagnostics,
  train,
  type TrainCallbacks,
  type TrainOptions,
} from "./training/train.ts";
export {
  type BatchOutcome,
  type EpochOutcome,
  type InterfaceNumbers,
  isSequenceItem,
  type StageRecord,
  type Strategy,
  type StrategyRun,
  type TrainingBatch,
} from "./execution/strategy.ts";
export { type Feed, improves, type Monitor } from "./training/feed.ts";
export { datasetFeed } from "./training/dataset_feed.ts";
export { oneThread } from "./execution/one_thread.ts";
export { pipeline, type PipelineNatsOptions, type PipelineOptions, WorkerError } from "./parallel/pipeline.ts";
export type { PipelineProfile, StageProfile, StageTimes, Transport } from "./parallel/profile.ts";
export { dataParallel, type DataParallelOptions } from "./parallel/data_parallel/data_parallel.ts";
export { type WorkerPlan, workerPlan, type WorkersOptions, workersStrategy } from "./parallel/workers.ts";
export type { Stage } from "./parallel/partition.ts";
export {
  type SimulatedStage,
  type SimulatedStageResult,
  simulatePipeline,
  type SimulationOptions,
  type SimulationResult,
} from "./parallel/simulate/simulate.ts";
export {
  type ModuleProfile,
  type ModuleTimes,
  profileModules,
  stagesFromProfile,
} from "./parallel/simulate/profile_modules.ts";
export type { MemoryRecord } from "./training/memory.ts";
export { NON_FINITE_POLICIES, type NonFinitePolicy } from "./network/non_finite_guard.ts";
export type { DivergenceSite } from "./errors.ts";

export { buildSequenceNetwork, isSequenceSpec, RECURRENT_CORES, type SequenceBuildOptions } from "./recurrent/build.ts";
export {
  type FiniteCheck,
  type HeldState,
  isRecurrent,
  RecurrentLayer,
  type RecurrentParts,
  splitState,
  type WindowInfo,
} from "./recurrent/recurrent_layer.ts";
export {
  STEP_LOSSES,
  stepLoss,
  stepLossObject,
  type StepLossResult,
  type StepLossType,
  stepPrediction,
} from "./losses/step_loss.ts";
export {
  checkSequenceTensors,
  type SequenceStepResult,
  type SequenceTensors,
  trainSequenceBatch,
  type TruncationOptions,
} from "./recurrent/tbptt.ts";
export { futureGradients, syntheticGradientCosine } from "./recurrent/probe.ts";
export { checkFit, SEQUENCE_TASKS, type SequenceData } from "./recurrent/sequence_data.ts";
export {
  evaluateBatch,
  evaluateSeqMnist,
  evaluateText,
  holdTraining,
  type SequenceScore,
} from "./recurrent/evaluate_sequences.ts";
export {
  SequenceFeed,
  type SequenceFeedOptions,
  type SequenceItem,
  type SequenceOptions,
  type SequencePosition,
  type SequenceStream,
} from "./recurrent/sequence_feed.ts";
export { sequenceFeed, trainSequenceItem } from "./recurrent/sequence_epochs.ts";
export { type SequenceResult, sequenceResult } from "./recurrent/sequence_result.ts";
export { stateDiagnostics } from "./recurrent/state_diagnostics.ts";
export { evaluateTask, type TaskEvaluation } from "./recurrent/evaluate_task.ts";
export { type SequenceBatch } from "./sequence/batch.ts";
export {
  copyBatch,
  type CopyBatchOptions,
  type CopyTaskOptions,
  copyTaskShape,
  copyTime,
  repeatCopyLevel,
} from "./sequence/copy_task.ts";
export { Curriculum, type CurriculumOptions, type CurriculumState, sequenceErrorBits } from "./sequence/curriculum.ts";
export { generatedText, type TextCorpus, textCorpus, type TextCorpusOptions } from "./sequence/text.ts";
export { benchSpec, type BenchSpecOptions, type SpecBench } from "./bench_spec/bench_spec.ts";

/**
 * Registers a neural-interface plugin under `name` in the default registry, so specs can name it.
 *
 * @throws {TypeError} If the name is taken.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Backprop, buildNetwork, registerInterface } from "./mod.ts";
 *
 * registerInterface("my-backprop", () => new Backprop());
 * const net = buildNetwork({
 *   input: [4],
 *   layers: [{ type: "dense", units: 8, interface: "my-backprop" }, { type: "dense", units: 2 }],
 * });
 * assert.ok(net.interfaces[0] instanceof Backprop);
 * assert.throws(() => registerInterface("my-backprop", () => new Backprop()), TypeError);
 * net.dispose();
 * ```
 */
export function registerInterface(name: string, factory: InterfaceFactory): void {
  defaultRegistries.interfaces.register(name, factory);
}
