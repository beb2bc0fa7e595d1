// Private: the running mean of a loss an interface's own model reports (a synthesizer's, a local classifier's),
// summed on the device and read once per `diagnostics()` call, so that training steps never wait for it.
import { tf } from "../deps.ts";

/** Sums scalar losses without reading them; `take()` gives their mean and starts over. */
export class LossMeter {
  #sum?: tf.Tensor;
  #count = 0;

  /** Adds `loss` and takes it over (it is disposed); safe inside the caller's `tf.tidy`. */
  add(loss: tf.Scalar): void {
    const sum = this.#sum ? tf.add(this.#sum, loss) : loss;
    if (this.#sum) {
      this.#sum.dispose();
      loss.dispose();
    }
    this.#sum = tf.keep(sum);
    this.#count++;
  }

  /** The mean since the last call (NaN if nothing was added); starts over. */
  take(): number {
    const mean = this.#sum ? this.#sum.dataSync()[0]! / this.#count : NaN;
    this.dispose();
    return mean;
  }

  /** Frees the sum. */
  dispose(): void {
    this.#sum?.dispose();
    this.#sum = undefined;
    this.#count = 0;
  }
}
