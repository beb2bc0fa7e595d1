// Private: an epoch's interface diagnostics when the epoch ran in pieces (checkpoints inside it, or a run stopped
// and resumed there). Each piece's strategy call reads every interface's numbers since the previous read, so a
// running mean (a key ending in "Loss": synthesizerLoss, localLoss, inputSynthesizerLoss, a plugin's own) is
// weighted by the piece's batches into the epoch's mean; any other number (a probe such as the cosine to the true
// gradient) is the last piece's, measured at the epoch's end. The weighted sums of the pieces before a stop travel
// in `EpochProgress.diagnostics`, keyed `layer/type/on/key`.
import type { InterfaceDiagnostics } from "../network/interface_diagnostics.ts";

const isMean = (key: string) => key.endsWith("Loss");
const keyOf = (d: InterfaceDiagnostics, key: string) => `${d.layer}/${d.type}/${d.on ?? ""}/${key}`;

/** The weighted sums of running means over an epoch's pieces so far, and the batches they cover. */
export class PieceDiagnostics {
  #sums: Record<string, number>;
  #batches: number;
  #last: InterfaceDiagnostics[] = [];
  #pieces = 0;
  readonly #resumed: boolean;

  /** Starts from a resumed epoch's sums over its first `batches` batches (or from nothing). */
  constructor(sums: Record<string, number> = {}, batches = 0) {
    this.#sums = { ...sums };
    this.#batches = batches;
    this.#resumed = batches > 0;
  }

  /** Adds a piece of `batches` batches and what it read. */
  add(diagnostics: InterfaceDiagnostics[], batches: number): void {
    if (batches === 0) return;
    this.#pieces++;
    this.#last = diagnostics;
    this.#batches += batches;
    for (const d of diagnostics) {
      for (const [key, value] of Object.entries(d)) {
        if (isMean(key) && typeof value === "number" && Number.isFinite(value)) {
          const k = keyOf(d, key);
          this.#sums[k] = (this.#sums[k] ?? 0) + value * batches;
        }
      }
    }
  }

  /** The sums to carry into a checkpoint taken inside the epoch. */
  sums(): Record<string, number> {
    return { ...this.#sums };
  }

  /** The epoch's diagnostics: the last piece's, its running means over every piece (one piece: as it read them). */
  epoch(): InterfaceDiagnostics[] {
    if (this.#pieces === 1 && !this.#resumed) return this.#last;
    return this.#last.map((d) => {
      const out: InterfaceDiagnostics = { ...d };
      for (const key of Object.keys(d)) {
        const sum = this.#sums[keyOf(d, key)];
        if (isMean(key) && sum !== undefined && this.#batches > 0) {
          (out as unknown as Record<string, number>)[key] = sum / this.#batches;
        }
      }
      return out;
    });
  }
}
