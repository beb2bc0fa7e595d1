/**
 * The data side of `train()` for a sequence task: an endless stream of batches cut into epochs of `perEpoch`
 * batches (copy tasks generated at the curriculum's level, sequential MNIST in seeded passes, text streams
 * continuing from batch to batch), the curriculum fed after each batch, the evaluation after each epoch, and a
 * JSON-able position (batches taken, the generator's state, the curriculum's) that a checkpoint keeps so that a
 * resumed run sees the batches an uninterrupted one would.
 *
 * @module
 */
import { Random } from "../random.ts";
import { copyBatch, repeatCopyLevel } from "../sequence/copy_task.ts";
import { Curriculum, type CurriculumState } from "../sequence/curriculum.ts";
import type { SequenceBatch } from "../sequence/batch.ts";
import { seqMnistBatches, seqMnistEvaluation } from "../sequence/seq_mnist.ts";
import { evaluationBatches, type TextCorpus, trainBatches } from "../sequence/text.ts";
import { holdOutValidation } from "../datasets/validation.ts";
import type { Split } from "../datasets/dataset.ts";
import type { Network } from "../network/network.ts";
import { lastTargets, type SequenceData } from "./sequence_data.ts";
import { evaluateSeqMnist, evaluateText, type SequenceScore } from "./evaluate_sequences.ts";

/** One training batch of a sequence task, as the strategies get it. */
export interface SequenceItem {
  /** The sequences. */
  sequences: SequenceBatch;
  /** One label per sequence (seq-mnist): the context of a conditioned state interface. */
  labels?: Float32Array;
  /** Steps per truncation window. */
  truncation: number;
  /** The batch continues the previous one's streams (text): its recurrent states start from the carried ones. */
  carryIn: boolean;
  /** The next batch continues these streams (text): the states (and a boundary awaiting its message) are kept. */
  carryOut: boolean;
}

/** A sequence task's own options of `train()` (`TrainOptions.sequence`). */
export interface SequenceOptions {
  /** Steps per truncation window; left out: the whole sequence (full BPTT). */
  truncation?: number;
  /** Text: characters per batch and stream. @default {100} */
  sequenceLength?: number;
  /** Copy tasks: the curriculum's threshold, in bits per output step. @default {0.15} */
  threshold?: number;
  /** Copy tasks: the curriculum's first level (pattern length). @default {1} */
  startLength?: number;
}

/** Options of a sequence task's stream. */
export interface SequenceFeedOptions extends SequenceOptions {
  /** Sequences per batch. */
  batchSize: number;
  /** Seed of the generated data and of the data order. */
  seed: number;
  /** Batches per epoch; left out: a pass over the data (seq-mnist) or 100 (copy tasks, text). */
  stepsPerEpoch?: number;
  /** Seq-mnist: the fraction of the training images held out for validation. */
  validationSplit?: number;
}

/** Where a sequence task's stream stands: what a checkpoint keeps of it. */
export interface SequencePosition {
  /** Batches taken so far. */
  batches: number;
  /** Copy tasks: the generator's state. */
  random?: number;
  /** Copy tasks: the curriculum's state. */
  curriculum?: CurriculumState;
}

/** A sequence task's stream as a network keeps it (`network.stream`) and a checkpoint saves it: JSON-able. */
export interface SequenceStream {
  /** The task. */
  task: SequenceData["task"];
  /** Text: where the text came from (a file path), as `SequenceData.source`. */
  source?: string;
  /** The stream's options. */
  options: SequenceFeedOptions;
  /** Where it stands. */
  position: SequencePosition;
}

/** What an epoch's evaluation of a sequence task measured. */
export interface SequenceEvaluation extends SequenceScore {
  /** Which part: the test split (seq-mnist), the validation text, or the held-out validation split. */
  part: "test" | "validation";
}

/** A sequence task's stream of batches (see the module's documentation). */
export class SequenceFeed {
  /** The task. */
  readonly data: SequenceData;
  /** Batches per epoch. */
  readonly perEpoch: number;
  /** Batches in one pass over the data (Infinity for generated data). */
  readonly perPass: number;
  readonly #options: SequenceFeedOptions;
  readonly #random: Random;
  readonly #curriculum?: Curriculum;
  readonly #train?: Split;
  readonly #validation?: Split;
  #batches = 0;

  /** Starts a task's stream at its beginning. */
  constructor(data: SequenceData, options: SequenceFeedOptions) {
    this.data = data;
    this.#options = options;
    this.#random = new Random(options.seed);
    const { batchSize } = options;
    if (data.task === "copy" || data.task === "repeat-copy") {
      this.#curriculum = new Curriculum({ threshold: options.threshold ?? 0.15, start: options.startLength ?? 1 });
      this.perPass = Infinity;
    } else if (data.task === "seq-mnist") {
      const parts = options.validationSplit === undefined
        ? { train: data.train, validation: undefined }
        : holdOutValidation(data.train, 784, options.validationSplit);
      this.#train = parts.train;
      this.#validation = parts.validation;
      this.perPass = Math.ceil(parts.train.count / batchSize);
    } else {
      const length = this.sequenceLength;
      this.perPass = Math.floor(Math.floor((corpusOf(data).train.length - 1) / batchSize) / length);
      if (this.perPass < 1) {
        throw new RangeError(
          `The text's training part (${
            corpusOf(data).train.length
          } characters) is too short for ${batchSize} streams ` +
            `of ${length} characters: lower --batch-size or --sequence-length`,
        );
      }
    }
    this.perEpoch = options.stepsPerEpoch ?? (data.task === "seq-mnist" ? this.perPass : 100);
  }

  /** Text: characters per batch and stream. */
  get sequenceLength(): number {
    return this.#options.sequenceLength ?? 100;
  }

  /** Copy tasks: the curriculum's level (pattern length). */
  get level(): number | undefined {
    return this.#curriculum?.level;
  }

  /** Copy tasks: the longest pattern length solved. */
  get maxSequenceLength(): number | undefined {
    return this.#curriculum?.maxSequenceLength;
  }

  /** The stream as a network keeps it. */
  get stream(): SequenceStream {
    return {
      task: this.data.task,
      ...(this.data.task === "text" ? { source: this.data.source } : {}),
      options: { ...this.#options },
      position: this.position,
    };
  }

  /** Where the stream stands. */
  get position(): SequencePosition {
    return {
      batches: this.#batches,
      ...(this.#curriculum ? { random: this.#random.state, curriculum: this.#curriculum.getState() } : {}),
    };
  }

  /** Goes on from a saved position. */
  set position(p: SequencePosition) {
    if (!Number.isInteger(p.batches) || p.batches < 0) {
      throw new RangeError(`A sequence task's position must count batches >= 0, got ${p.batches}`);
    }
    this.#batches = p.batches;
    if (this.#curriculum) {
      if (p.random === undefined || p.curriculum === undefined) {
        throw new RangeError(`A ${this.data.task} position needs the generator's and the curriculum's state`);
      }
      this.#random.state = p.random;
      this.#curriculum.setState(p.curriculum);
    }
  }

  /** The next `count` batches of the stream, made as they are taken (the curriculum moves in between). */
  *take(count: number): Generator<SequenceItem> {
    let it: Iterator<SequenceBatch> | undefined;
    for (let k = 0; k < count; k++) {
      const n = this.#batches;
      const inPass = Number.isFinite(this.perPass) ? n % this.perPass : n;
      if (it === undefined || inPass === 0) it = this.#pass(n, inPass);
      const sequences = this.#next(it);
      this.#batches++;
      yield {
        sequences,
        ...(this.data.task === "seq-mnist" ? { labels: lastTargets(sequences) } : {}),
        truncation: Math.min(this.#options.truncation ?? sequences.time, sequences.time),
        carryIn: this.data.task === "text" && inPass > 0,
        carryOut: this.data.task === "text",
      };
    }
  }

  /** After each batch: its error in bits per counted step (the curriculum's input). */
  record(errorBits: number): void {
    this.#curriculum?.record(errorBits);
  }

  /** A fixed batch for the synthetic-gradient probe. */
  probe(): SequenceItem {
    const d = this.data;
    let sequences: SequenceBatch;
    if (d.task === "copy" || d.task === "repeat-copy") sequences = this.#copy(new Random(this.#options.seed + 1));
    else if (d.task === "seq-mnist") sequences = seqMnistEvaluation(d.test, this.#options.batchSize).next().value!;
    else {
      sequences =
        evaluationBatches(corpusOf(d), Math.min(this.#options.batchSize, 8), this.sequenceLength).next().value ??
          trainBatches(corpusOf(d), this.#options.batchSize, this.sequenceLength).next().value!;
    }
    return {
      sequences,
      ...(d.task === "seq-mnist" ? { labels: lastTargets(sequences) } : {}),
      truncation: Math.min(this.#options.truncation ?? sequences.time, sequences.time),
      carryIn: false,
      carryOut: false,
    };
  }

  /**
   * The evaluation after an epoch: seq-mnist's test split (and held-out validation split), the text's validation
   * part; none for the generated copy tasks (their curriculum is the measure).
   */
  evaluate(network: Network, part: "test" | "validation"): SequenceScore | undefined {
    const d = this.data, size = this.#options.batchSize;
    if (d.task === "seq-mnist") {
      const split = part === "test" ? d.test : this.#validation;
      return split ? evaluateSeqMnist(network, split, size) : undefined;
    }
    if (d.task === "text" && part === "validation") return evaluateText(network, d.corpus, size, this.sequenceLength);
    return undefined;
  }

  /** Whether a validation part is measured after each epoch. */
  get validates(): boolean {
    return this.#validation !== undefined || this.data.task === "text";
  }

  // The batches of the pass that batch n belongs to, from its `inPass`-th.
  #pass(n: number, inPass: number): Iterator<SequenceBatch> {
    const d = this.data, size = this.#options.batchSize;
    let it: Iterator<SequenceBatch>;
    if (d.task === "seq-mnist") {
      it = seqMnistBatches(this.#train!, size, this.#options.seed + Math.floor(n / this.perPass));
    } else if (d.task === "text") it = trainBatches(d.corpus, size, this.sequenceLength);
    else return { next: () => ({ done: false, value: this.#copy(this.#random) }) };
    for (let k = 0; k < inPass; k++) it.next();
    return it;
  }

  #next(it: Iterator<SequenceBatch>): SequenceBatch {
    const r = it.next();
    if (r.done) throw new Error(`The ${this.data.task} stream ended early (a bug: perPass ${this.perPass})`);
    return r.value;
  }

  #copy(random: Random): SequenceBatch {
    const repeat = this.data.task === "repeat-copy";
    const level = this.#curriculum!.level;
    const l = repeat ? repeatCopyLevel(level) : { length: level, repeats: 1 };
    return copyBatch(random, this.#options.batchSize, l.length, { repeat, ...(repeat ? { repeats: l.repeats } : {}) });
  }
}

function corpusOf(data: SequenceData): TextCorpus {
  if (data.task !== "text") throw new Error(`${data.task} has no text`);
  return data.corpus;
}
