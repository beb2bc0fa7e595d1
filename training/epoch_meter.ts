/**
 * Bookkeeping of one training epoch, shared by every mode (one thread, pipeline, data-parallel): running loss and
 * accuracy, the `onBatchEnd` progress, the NaN guard, and the epoch's record.
 *
 * @module
 */
import { DivergenceError } from "../errors.ts";
import type { BatchInfo, EpochRecord } from "./train.ts";

/** Measures one epoch. */
export class EpochMeter {
  readonly epoch: number;
  readonly #batches: number;
  readonly #start = performance.now();
  #lossSum = 0;
  #correct = 0;
  #samples = 0;
  #batch = 0;

  /**
   * @param epoch Epoch number, from 1.
   * @param batches Batches in the epoch.
   */
  constructor(epoch: number, batches: number) {
    this.epoch = epoch;
    this.#batches = batches;
  }

  /**
   * Adds a batch's mean loss and correct count.
   *
   * @throws {DivergenceError} If the loss is NaN or infinite.
   */
  add(loss: number, correct: number, size: number): BatchInfo {
    this.#batch++;
    if (!Number.isFinite(loss)) throw new DivergenceError("the loss", loss, this.epoch, this.#batch);
    this.#lossSum += loss * size;
    this.#correct += correct;
    this.#samples += size;
    return {
      epoch: this.epoch,
      batch: this.#batch,
      batches: this.#batches,
      loss: this.#lossSum / this.#samples,
      seconds: (performance.now() - this.#start) / 1000,
      samples: this.#samples,
    };
  }

  /** Batches added so far. */
  get batches(): number {
    return this.#batch;
  }

  /** The epoch's record so far (test accuracy and diagnostics are added by `epochEnd`). */
  record(): EpochRecord {
    const seconds = (performance.now() - this.#start) / 1000;
    return {
      epoch: this.epoch,
      loss: this.#lossSum / this.#samples,
      accuracy: this.#correct / this.#samples,
      seconds,
      samplesPerSecond: this.#samples / seconds,
      evalSeconds: 0,
    };
  }
}
