/**
 * Bookkeeping of training shared by every mode (one thread, pipeline, data-parallel): running loss and accuracy,
 * the `onBatchEnd` progress, the NaN guard, each epoch's record, and the run's history.
 *
 * @module
 */
import { DivergenceError } from "../errors.ts";
import type { BatchInfo, EpochRecord, History } from "./history.ts";

/** An epoch's running sums by name. */
export type Sums = Record<string, number>;

/** Measures one epoch. */
export class EpochMeter {
  readonly epoch: number;
  readonly #batches: number;
  readonly #start = performance.now();
  #lossSum = 0;
  #correct = 0;
  #samples = 0;
  #counted = 0; // samples in the means (all but those of batches whose loss was not finite)
  #steps = 0; // what the correct counts are out of: the counted samples, or a sequence's counted steps
  #batch = 0;
  readonly #skipNonFinite: boolean;

  readonly #before: number; // seconds the epoch ran before this meter took it on (a resumed epoch)

  /**
   * @param epoch Epoch number (from `initialEpoch + 1`).
   * @param batches Batches in the epoch.
   * @param skipNonFinite Leave a batch whose loss is NaN or infinite out of the means instead of throwing.
   * @param from The sums of the epoch's first batches, trained before (`sums()` then; `EpochProgress.meter`), and
   *   `batch` how many: the meter goes on from them.
   */
  constructor(epoch: number, batches: number, skipNonFinite = false, from?: { batch: number; meter: Sums }) {
    this.epoch = epoch;
    this.#batches = batches;
    this.#skipNonFinite = skipNonFinite;
    const m = from?.meter ?? {};
    this.#batch = from?.batch ?? 0;
    this.#lossSum = m.lossSum ?? 0;
    this.#correct = m.correct ?? 0;
    this.#samples = m.samples ?? 0;
    this.#counted = m.counted ?? 0;
    this.#steps = m.steps ?? 0;
    this.#before = m.seconds ?? 0;
  }

  /** The epoch's running sums, from which another meter goes on (`EpochProgress.meter`). */
  sums(): Sums {
    return {
      lossSum: this.#lossSum,
      correct: this.#correct,
      samples: this.#samples,
      counted: this.#counted,
      steps: this.#steps,
      seconds: this.#before + (performance.now() - this.#start) / 1000,
    };
  }

  /**
   * Adds a batch's mean loss and correct count (out of `counted`: the batch's examples, or a batch of sequences'
   * counted steps).
   *
   * @throws {DivergenceError} If the loss is NaN or infinite (unless `skipNonFinite`).
   */
  add(loss: number, correct: number, size: number, counted = size): BatchInfo {
    this.#batch++;
    if (!Number.isFinite(loss)) {
      if (!this.#skipNonFinite) throw new DivergenceError("the loss", loss, this.epoch, this.#batch);
    } else {
      this.#lossSum += loss * size;
      this.#correct += correct;
      this.#counted += size;
      this.#steps += counted;
    }
    this.#samples += size;
    return {
      epoch: this.epoch,
      batch: this.#batch,
      batches: this.#batches,
      loss: this.#lossSum / this.#counted,
      seconds: this.#before + (performance.now() - this.#start) / 1000,
      samples: this.#samples,
    };
  }

  /** Examples (sequences) added so far. */
  get samples(): number {
    return this.#samples;
  }

  /** Batches added so far. */
  get batches(): number {
    return this.#batch;
  }

  /** The epoch's record so far (test accuracy and diagnostics are added by `epochEnd`). */
  record(): EpochRecord {
    const seconds = this.#before + (performance.now() - this.#start) / 1000;
    return {
      epoch: this.epoch,
      loss: this.#lossSum / this.#counted,
      accuracy: this.#correct / this.#steps,
      seconds,
      samplesPerSecond: this.#samples / seconds,
      evalSeconds: 0,
    };
  }
}

/** Collects the epochs of a run into its `History`, calling `onEpochEnd` for each. */
export class HistoryRecorder {
  readonly #history: History = { epochs: [], seconds: 0, samplesPerSecond: 0 };
  readonly #onEpochEnd?: (record: EpochRecord) => void;
  #samples = 0;

  /** @param onEpochEnd Called after each epoch is added. */
  constructor(onEpochEnd?: (record: EpochRecord) => void) {
    this.#onEpochEnd = onEpochEnd;
  }

  /** Adds a finished epoch of `samples` examples (sequences). */
  add(record: EpochRecord, samples: number): void {
    this.#samples += samples;
    this.#history.epochs.push(record);
    this.#history.seconds += record.seconds;
    this.#onEpochEnd?.(record);
  }

  /** The history, with samples/s over all epochs. */
  finish(): History {
    // No epoch completed (a run interrupted in its first): no rate.
    this.#history.samplesPerSecond = this.#history.seconds > 0 ? this.#samples / this.#history.seconds : 0;
    return this.#history;
  }
}
