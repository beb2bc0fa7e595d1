// A sequence task's epoch: its numbers in one line, then the interfaces'.
function sequenceEpochLine(label: string, epochs: number, r: EpochRecord): string {
  const cosine = r.interfaces?.find((d) => d.on === "state")?.cosine;
  const lines = [
    `${label}epoch ${r.epoch}/${epochs}  loss ${r.loss.toFixed(4)}  error ${r.errorBits!.toFixed(3)} bits  ` +
    (r.level === undefined ? "" : `length ${r.level} (solved ${r.maxSequenceLength})  `) +
    (r.validationBits === undefined ? "" : `val ${r.validationBits.toFixed(3)} bits  `) +
    (r.validationAccuracy === undefined || r.validationBits !== undefined
      ? ""
      : `val acc ${percent(r.validationAccuracy)}  `) +
    (r.testAccuracy === undefined ? "" : `test acc ${percent(r.testAccuracy)}  `) +
    (cosine === undefined ? "" : `sg cosine ${cosine.toFixed(3)}  `) +
    `${r.seconds.toFixed(1)}s  ${Math.round(r.samplesPerSecond)} sequences/s` +
    (r.skippedUpdates ? `  skipped ${r.skippedUpdates} updates (NaN/Inf)` : ""),
  ];
  for (const d of r.interfaces ?? []) {
    // None yet (NaN) where no window had a boundary to learn from: e.g. full BPTT, or copy's length 1 in one window.
    if (typeof d.synthesizerLoss !== "number" || !Number.isFinite(d.synthesizerLoss)) continue;
    lines.push(
      `${label}  layer ${d.layer} ${d.type}${d.on ? ` on the ${d.on}` : ""}: synthesizer loss ${
        d.synthesizerLoss.toPrecision(3)
      }`,
    );
  }
  return lines.join("\n");
}

/**
 * Progress output for long runs: a redrawn bar with samples/s and ETA on a terminal, plain lines otherwise.
 *
 * @module
 */
import type { BatchInfo, EpochRecord } from "../training/train.ts";

/** Writes text to a stream without a newline. */
export type Write = (text: string) => void;

/** Formats seconds as `1m05s` or `4.2s`. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  return `${m}m${String(Math.round(seconds - 60 * m)).padStart(2, "0")}s`;
}

/** Formats a fraction as a percentage with two decimals. */
export function percent(fraction: number | undefined): string {
  return fraction === undefined || Number.isNaN(fraction) ? "-" : `${(100 * fraction).toFixed(2)}%`;
}

/**
 * A sequence task's epoch in one line: the steps done, the curriculum's length, the training error in bits per
 * output step, the loss, validation bits or accuracy, the synthetic-gradient cosine on the state, the seconds.
 *
 * @example
 * ```ts
 * import { sequenceLine } from "./progress.ts";
 * const r = { epoch: 1, loss: 4.2, accuracy: 0.5, seconds: 12.3, samplesPerSecond: 1, evalSeconds: 0, errorBits: 6.1, level: 3, maxSequenceLength: 2 };
 * console.assert(sequenceLine(r, 500) === "step 500  length 3 (solved 2)  error 6.10 bits  loss 4.2000  12.3s");
 * ```
 */
export function sequenceLine(r: EpochRecord, step: number): string {
  const cosine = r.interfaces?.find((d) => d.on === "state")?.cosine;
  return [
    `step ${step}`,
    ...(r.level === undefined ? [] : [`length ${r.level} (solved ${r.maxSequenceLength})`]),
    `error ${(r.errorBits ?? NaN).toFixed(2)} bits`,
    `loss ${r.loss.toFixed(4)}`,
    ...(r.validationBits === undefined ? [] : [`val ${r.validationBits.toFixed(3)} bits`]),
    ...(r.testAccuracy === undefined ? [] : [`test acc ${percent(r.testAccuracy)}`]),
    ...(cosine === undefined ? [] : [`sg cosine ${cosine.toFixed(3)}`]),
    `${r.seconds.toFixed(1)}s`,
  ].join("  ");
}

/** One line summing up an epoch, then one line per synthesising interface with its diagnostics. */
export function epochLine(label: string, epochs: number, r: EpochRecord): string {
  if (r.errorBits !== undefined) return sequenceEpochLine(label, epochs, r);
  const lines = [
    `${label}epoch ${r.epoch}/${epochs}  loss ${r.loss.toFixed(4)}  train acc ${percent(r.accuracy)}  ` +
    (r.validationAccuracy === undefined ? "" : `val acc ${percent(r.validationAccuracy)}  `) +
    `test acc ${percent(r.testAccuracy)}  ${r.seconds.toFixed(1)}s  ${Math.round(r.samplesPerSecond)} samples/s` +
    (r.skippedUpdates ? `  skipped ${r.skippedUpdates} updates (NaN/Inf)` : ""),
  ];
  for (const d of r.interfaces ?? []) {
    const parts = [`${label}  layer ${d.layer} ${d.type}:`];
    if (typeof d.synthesizerLoss === "number") parts.push(`synthesizer loss ${d.synthesizerLoss.toPrecision(3)}`);
    if (typeof d.inputSynthesizerLoss === "number") {
      parts.push(`input synthesizer loss ${d.inputSynthesizerLoss.toPrecision(3)}`);
    }
    if (d.cosine !== undefined) parts.push(`cosine to true gradient ${d.cosine.toFixed(3)}`);
    if (d.normRatio !== undefined) parts.push(`norm ratio ${d.normRatio.toFixed(3)}`);
    if (d.weightCosine !== undefined) parts.push(`weight-gradient cosine ${d.weightCosine.toFixed(3)}`);
    lines.push(parts.join("  "));
  }
  return lines.join("\n");
}

/**
 * Reports training progress. On a terminal (`live`), redraws one bar per batch (at most every 100 ms); always
 * prints one line per epoch.
 */
export class Progress {
  #write: Write;
  #live: boolean;
  #label: string;
  #epochs: number;
  #lastDraw = 0;

  /**
   * @param write Where the text goes (e.g. stderr).
   * @param live Whether to draw a bar (the stream is a terminal).
   * @param epochs The number of the run's last epoch (`initialEpoch + epochs`), shown as `epoch 3/4`.
   * @param label Prefix of every line, e.g. a configuration name.
   */
  constructor(write: Write, live: boolean, epochs: number, label = "") {
    this.#write = write;
    this.#live = live;
    this.#epochs = epochs;
    this.#label = label ? `${label}  ` : "";
  }

  /** After each batch: redraws the bar. */
  batch(info: BatchInfo): void {
    if (!this.#live) return;
    const now = performance.now();
    if (now - this.#lastDraw < 100 && info.batch < info.batches) return;
    this.#lastDraw = now;
    const width = 24;
    const done = Math.round((info.batch / info.batches) * width);
    const rate = info.samples / info.seconds;
    const eta = (info.seconds / info.batch) * (info.batches - info.batch);
    this.#write(
      `\r\x1b[2K${this.#label}epoch ${info.epoch}/${this.#epochs} [${"#".repeat(done)}${"-".repeat(width - done)}] ` +
        `${info.batch}/${info.batches}  loss ${info.loss.toFixed(4)}  ${Math.round(rate)} samples/s  ETA ${
          formatSeconds(eta)
        }`,
    );
  }

  /** Clears the bar (a run that stops inside an epoch, before its own line). */
  clear(): void {
    if (this.#live) this.#write("\r\x1b[2K");
  }

  /** After each epoch: one plain line. */
  epoch(record: EpochRecord): void {
    this.#write(`${this.#live ? "\r\x1b[2K" : ""}${epochLine(this.#label, this.#epochs, record)}\n`);
  }
}
