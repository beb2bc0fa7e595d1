/**
 * The simulator's inputs, measured: each module of a network (cut at every decoupling interface) trained on one
 * thread, timed piece by piece as a pipeline stage runs it (with the stage's own module step, `moduleStep`), so that
 * one run gives the stages of any count N (`stagesFromProfile` groups the modules as `planStages` does). Compute per
 * stage is that of this machine's one core.
 *
 * @module
 */
import { tf } from "../../deps.ts";
import type { Batch } from "../../datasets/dataset.ts";
import { batchTensors } from "../../datasets/batch_tensors.ts";
import { needsMessage } from "../../interfaces/interface.ts";
import type { Network } from "../../network/network.ts";
import { canFactorMessage, isDecoupling, planStages } from "../partition.ts";
import { type Kept, messageGradient, messageParts, moduleStep } from "../stage/_module_step.ts";
import type { SimulatedStage } from "./simulate.ts";

/** Milliseconds per batch of one module (layers `lo..hi`), measured on one thread. */
export interface ModuleTimes {
  /** The module's first layer. */
  lo: number;
  /** Its last layer (inclusive). */
  hi: number;
  /** Making tensors of its input and labels. */
  inMs: number;
  /** Its forward, backward and updates (synthesizers included), with its message in two factors where it can. */
  forwardMs: number;
  /** Copying out its output (or loss and accuracy) and its message. */
  outMs: number;
  /** Handling the message from the module above: tensors of it, and the interface's update. */
  messageMs: number;
  /** Multiplying its message's two factors (0 where it has none): where the stage below takes it, it pays it. */
  productMs: number;
  /** Bytes of its output per batch, labels included (0 for the last module). */
  outputBytes: number;
  /** Bytes of its message per batch (0 for module 0 and under an interface that needs none). */
  messageBytes: number;
  /** Bytes of its message as two factors (as `messageBytes` where it cannot factor). */
  factoredBytes: number;
}

/** What `profileModules` measured. */
export interface ModuleProfile {
  /** Batches timed (after the warm-up). */
  batches: number;
  /** Milliseconds per batch to make a batch (the coordinator's part). */
  feedMs: number;
  /** Per module, bottom to top. */
  modules: ModuleTimes[];
}

const size = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1);

/**
 * Trains `network` on `batches` one module at a time (a staleness-0 pipeline on one thread) and times each piece.
 * The first `warmup` batches are not counted. The network is trained by it.
 *
 * @throws {RangeError} If fewer than `warmup + 1` batches come.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { batches, buildNetwork, syntheticDataset } from "../../mod.ts";
 * import { profileModules } from "./profile_modules.ts";
 *
 * const data = syntheticDataset({ features: 8, classes: 3, trainCount: 96, testCount: 8 });
 * const net = buildNetwork({
 *   input: [8],
 *   layers: [{ type: "dense", units: 8, activation: "relu", interface: "csg" }, { type: "dense", units: 3 }],
 * });
 * const p = profileModules(net, batches(data.train, 8, 16, 0), { warmup: 1 });
 * assert.deepEqual(p.modules.map(({ lo, hi }) => [lo, hi]), [[0, 0], [1, 1]]);
 * assert.equal(p.batches, 5);
 * net.dispose();
 * ```
 */
export function profileModules(network: Network, batches: Iterable<Batch>, { warmup = 5 } = {}): ModuleProfile {
  const cuts = network.interfaces.flatMap((_, i) => isDecoupling(network, i) ? [i] : []);
  const bounds = [-1, ...cuts, network.layers.length - 1];
  const modules: ModuleTimes[] = bounds.slice(1).map((hi, m) => ({
    lo: bounds[m]! + 1,
    hi,
    inMs: 0,
    forwardMs: 0,
    outMs: 0,
    messageMs: 0,
    productMs: 0,
    outputBytes: 0,
    messageBytes: 0,
    factoredBytes: 0,
  }));
  let counted = 0, feedMs = 0, step = network.steps;
  const first = step;
  const source = batches[Symbol.iterator]();
  for (let t = performance.now(), next = source.next(); !next.done; next = source.next()) {
    const on = step - first >= warmup;
    const lap = () => {
      const now = performance.now(), ms = now - t;
      t = now;
      return on ? ms : 0;
    };
    feedMs += lap();
    trainBatch(network, modules, next.value, step++, lap);
    if (on) counted++;
    t = performance.now();
  }
  if (counted === 0) throw new RangeError(`profileModules needs more than warmup (${warmup}) batches`);
  network.steps = step;
  const per = (ms: number) => ms / counted;
  return {
    batches: counted,
    feedMs: per(feedMs),
    modules: modules.map((m) => ({
      ...m,
      inMs: per(m.inMs),
      forwardMs: per(m.forwardMs),
      outMs: per(m.outMs),
      messageMs: per(m.messageMs),
      productMs: per(m.productMs),
    })),
  };
}

// One batch through every module, bottom up; each module's message is handled by the module below right after.
function trainBatch(network: Network, modules: ModuleTimes[], b: Batch, step: number, lap: () => number): void {
  const last = modules.length - 1;
  let input = b.x;
  let below: Kept | null = null;
  modules.forEach((mod, m) => {
    const { lo, hi } = mod;
    lap();
    const { x, labels } = batchTensors(
      { x: input, labels: b.labels, size: b.size },
      network.layers[lo]!.inputShape,
      network.outputUnits,
    );
    mod.inMs += lap();
    // The message in two factors where the stage would send it so (`planStages` weighs it against the product).
    const factor = m > 0 && needsMessage(network.interfaces[lo - 1]!) && canFactorMessage(network.layers[lo]!);
    let parts: { values: Float32Array; shape: number[] }[] = [];
    let kept: typeof below = null;
    tf.tidy(() => {
      const r = moduleStep(network, lo, hi, x, { labels, step }, { factor });
      mod.forwardMs += lap();
      parts = messageParts(r).map((p) => ({ values: p.dataSync() as Float32Array, shape: p.shape }));
      if (m < last) {
        input = r.output.dataSync() as Float32Array;
        kept = { trigger: tf.keep(r.output.clone()), labels: tf.keep(labels.clone()) };
      } else {
        r.loss!.dataSync();
        r.correct!.dataSync();
      }
      mod.outMs += lap();
    });
    network.release(step, lo, hi - 1);
    tf.dispose([x, labels]);
    const rows = b.size, width = size(network.layers[lo]!.inputShape);
    mod.outputBytes = m < last ? input.length * 4 + rows : 0;
    mod.messageBytes = m > 0 && needsMessage(network.interfaces[lo - 1]!) ? rows * width * 4 : 0;
    mod.factoredBytes = factor ? parts.reduce((n, p) => n + p.values.length * 4, 0) : mod.messageBytes;
    if (below !== null) deliver(network, modules[m - 1]!, mod, parts, below, step, lap);
    below = kept;
  });
}

// The message of `mod` handled by the module below (`to`), as a stage does: tensors, the product, the update.
function deliver(
  network: Network,
  to: ModuleTimes,
  mod: ModuleTimes,
  parts: { values: Float32Array; shape: number[] }[],
  k: Kept,
  step: number,
  lap: () => number,
): void {
  lap();
  tf.tidy(() => {
    const tensors = parts.map((p) => tf.tensor(p.values, p.shape, "float32"));
    to.messageMs += lap();
    if (tensors.length === 0) return;
    const g = messageGradient(tensors[0]!, tensors[1], k.trigger.shape);
    g.dataSync(); // make sure the product is done (eager backends are; this costs little)
    mod.productMs += tensors.length === 2 ? lap() : 0;
    lap();
    network.receiveMessage(to.hi, g, k.trigger, { labels: k.labels, step });
    to.messageMs += lap();
  });
  network.release(step, to.hi, to.hi);
  tf.dispose([k.trigger, k.labels]);
}

/**
 * The simulator's stages for `count` hosts from a module profile: the modules grouped as `planStages` groups them
 * (with `messageBelow` where it chooses it), a stage's work per batch the sum of its modules' (the tensors in and
 * copies out only at its own ends).
 */
export function stagesFromProfile(network: Network, profile: ModuleProfile, count: number): SimulatedStage[] {
  const stages = count === 1 ? [{ lo: 0, hi: network.layers.length - 1 }] : planStages(network, count);
  return stages.map((st, k) => {
    const mods = profile.modules.filter((m) => m.lo >= st.lo && m.hi <= st.hi);
    const first = mods[0]!, top = mods.at(-1)!;
    const above = stages[k + 1] as { messageBelow?: boolean } | undefined;
    const upper = profile.modules.find((m) => m.lo === top.hi + 1);
    const factored = (st as { messageBelow?: boolean }).messageBelow === true;
    const inner = mods.slice(1);
    let forwardMs = first.inMs + mods.reduce((ms, m) => ms + m.forwardMs, 0) + top.outMs;
    // Inside a stage the messages between its modules are handled in place (no tensors of them to make).
    forwardMs += inner.reduce((ms, m) => ms + m.productMs, 0) +
      mods.slice(0, -1).reduce((ms, m) => ms + m.messageMs, 0);
    if (k > 0 && !factored) forwardMs += first.productMs;
    const messageMs = upper === undefined ? 0 : top.messageMs + (above?.messageBelow ? upper.productMs : 0);
    return {
      forwardMs,
      messageMs,
      forwardBytes: upper === undefined ? 0 : top.outputBytes,
      messageBytes: k === 0 ? 0 : factored ? first.factoredBytes : first.messageBytes,
    };
  });
}
