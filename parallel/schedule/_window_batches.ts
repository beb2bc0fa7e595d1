// Private: the coordinator's side of batches in a pipeline: a batch of examples is one step; a batch of sequences is
// one step per truncation window (`windowItems`), whose results (in step order, as the last stage sends them) are
// summed back into the batch's outcome for `onBatch`.
import type { Batch } from "../../datasets/dataset.ts";
import { type BatchOutcome, isSequenceItem, type TrainingBatch } from "../../execution/strategy.ts";
import type { BatchResult, WindowMeta } from "../protocol.ts";
import { windowItems } from "./_window_items.ts";

/** What the pipeline feeds as one step: a batch of examples, or a window of a batch of sequences. */
export type StepItem = Batch & { window?: WindowMeta };

interface Pending {
  windows: number;
  outcome: BatchOutcome;
  sequences: boolean;
}

/** Batches into steps, and the steps' results back into batches' outcomes. */
export class WindowBatches {
  readonly #onBatch: (outcome: BatchOutcome) => void;
  readonly #pending: Pending[] = [];

  /** @param onBatch Called with each batch's outcome, in order. */
  constructor(onBatch: (outcome: BatchOutcome) => void) {
    this.#onBatch = onBatch;
  }

  /** The steps of `batches`, made as they are taken. */
  *steps(batches: Iterable<TrainingBatch>): Generator<StepItem> {
    for (const b of batches) {
      if (!isSequenceItem(b)) {
        this.#pending.push({ windows: 1, outcome: { loss: 0, correct: 0, size: b.size }, sequences: false });
        yield b;
        continue;
      }
      const items = windowItems(b);
      const outcome = { loss: 0, correct: 0, size: b.sequences.size, counted: 0, bits: 0 };
      this.#pending.push({ windows: items.length, outcome, sequences: true });
      yield* items.map((w) => ({ x: w.x, labels: w.labels, size: w.size, window: w.window }));
    }
  }

  /** A step's result (in step order): the batch's outcome once its last step is done. */
  result(r: BatchResult): void {
    const p = this.#pending[0];
    if (p === undefined) throw new Error(`A result for step ${r.step} that no batch awaits (a bug)`);
    const o = p.outcome;
    if (p.sequences) {
      // Summed in float32, as one thread sums a batch's windows (`trainSequenceBatch`): the same numbers exactly.
      const f = Math.fround;
      o.loss = f(o.loss + r.loss);
      o.correct = f(o.correct + r.correct);
      o.counted = f(o.counted! + (r.counted ?? 0));
      o.bits = f(o.bits! + (r.bits ?? 0));
    } else {
      o.loss = r.loss;
      o.correct = r.correct;
    }
    if (--p.windows > 0) return;
    this.#pending.shift();
    this.#onBatch(o);
  }
}
