/**
 * Cutting a network into modules at its decoupling interfaces (`decouples: true`, built-in or plugin), and
 * grouping the modules into stages of about equal cost, one stage per Worker.
 *
 * @module
 */
import type { Network } from "../network/network.ts";
import type { Layer } from "../layers/layer.ts";
import { needsMessage } from "../interfaces/interface.ts";

/** A stage: layers `lo..hi` (inclusive) run in one Worker. */
export interface Stage {
  /** The stage's first layer. */
  lo: number;
  /** The stage's last layer (inclusive). */
  hi: number;
  /** Estimated multiply-adds per example of the stage (layers forward and backward, plus its synthesizers). */
  cost: number;
  /**
   * Whether the stage below takes the last product of this stage's message (the input gradient of layer `lo`,
   * `dz x W^T`, sent as its two factors), which moves `lo`'s input-gradient cost to the stage below. Only where
   * layer `lo` can give its input gradient as factors (a dense layer's `backwardFactored`).
   */
  messageBelow?: boolean;
}

/** Whether the interface of layer `i` decouples (answers in `send`), so a module can end there. */
export function isDecoupling(network: Network, i: number): boolean {
  return network.interfaces[i]?.decouples === true;
}

/** Whether `layer` can give its input gradient as two factors (see `Stage.messageBelow`). */
export function canFactorMessage(layer: Layer): layer is Layer & { backwardFactored: (...args: never[]) => unknown } {
  return typeof (layer as { backwardFactored?: unknown }).backwardFactored === "function";
}

// Multiply-adds per example of a layer's forward pass: its own estimate, else input size x output size.
function forwardCost(layer: Layer): number {
  const size = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1);
  return layer.multiplyAdds ?? size(layer.inputShape) * size(layer.outputShape);
}

/**
 * Estimated multiply-adds per example of each layer: forward, weight gradient and (above layer 0, unless the interface
 * below needs no message) input gradient,
 * each about the forward pass's cost; plus, where its interface decouples, the synthesizer's forward and
 * regression step: three times the size of each of its weight matrices and kernels (variables of rank >= 2) per
 * position of the trigger (1 for a flat trigger, height x width for a `[h, w, channels]` one), except a matrix on
 * the whole flattened trigger (one of its sides is the trigger's size), which is applied once.
 */
export function layerCosts(network: Network): number[] {
  return network.layers.map((layer, i) => {
    const input = i > 0 && needsMessage(network.interfaces[i - 1]!); // whether it computes its input gradient
    let cost = (input ? 3 : 2) * forwardCost(layer);
    const iface = network.interfaces[i];
    if (iface?.decouples) {
      const positions = layer.outputShape.slice(0, -1).reduce((n, d) => n * d, 1);
      const trigger = positions * (layer.outputShape.at(-1) ?? 1);
      for (const v of iface.variables) {
        if (v.rank < 2) continue;
        // a matrix on the whole flattened trigger (in or out) is applied once; a kernel at every position
        const once = v.rank === 2 && positions > 1 && (v.shape[0] === trigger || v.shape[1] === trigger);
        cost += 3 * v.size * (once ? 1 : positions);
      }
    }
    return cost;
  });
}

/**
 * Splits the layers into at most `count` contiguous stages, cutting only after layers whose interface decouples,
 * so that the most expensive stage is as cheap as possible.
 *
 * @throws {RangeError} If `count` < 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { partition } from "./partition.ts";
 *
 * // four layers costing 6, 2, 2 and 1; cuts allowed after layers 0, 1 and 2
 * const stages = partition([6, 2, 2, 1], [0, 1, 2], 2);
 * assert.deepEqual(stages.map(({ lo, hi }) => [lo, hi]), [[0, 0], [1, 3]]);
 * ```
 */
export function partition(costs: number[], cuts: number[], count: number): Stage[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`Stage count must be an integer >= 1, got ${count}`);
  const n = costs.length;
  const sum = (lo: number, hi: number) => costs.slice(lo, hi + 1).reduce((a, b) => a + b, 0);
  let best: { stages: Stage[]; max: number } | null = null;
  const k = Math.min(count - 1, cuts.length);
  // Try every choice of k cut points (networks are small: a handful of cuts).
  const choose = (start: number, chosen: number[]) => {
    if (chosen.length === k) {
      const bounds = [-1, ...chosen, n - 1];
      const stages = bounds.slice(1).map((hi, s) => ({ lo: bounds[s]! + 1, hi, cost: sum(bounds[s]! + 1, hi) }));
      const max = Math.max(...stages.map((s) => s.cost));
      if (best === null || max < best.max) best = { stages, max };
      return;
    }
    for (let c = start; c < cuts.length; c++) choose(c + 1, [...chosen, cuts[c]!]);
  };
  choose(0, []);
  return best!.stages;
}

/**
 * The stages of `network` for `workers` Workers, from estimated costs; then, bottom up, each stage whose first
 * layer can factor its input gradient hands the last product of its message (about the layer's forward cost) to
 * the stage below where that lowers the costlier of the two.
 */
export function planStages(network: Network, workers: number): Stage[] {
  const cuts = network.interfaces.flatMap((_, i) => isDecoupling(network, i) ? [i] : []);
  const stages = partition(layerCosts(network), cuts, workers);
  for (let k = 1; k < stages.length; k++) {
    const below = stages[k - 1]!, stage = stages[k]!;
    const layer = network.layers[stage.lo]!;
    if (!canFactorMessage(layer) || !needsMessage(network.interfaces[stage.lo - 1]!)) continue;
    const product = forwardCost(layer);
    if (Math.max(below.cost + product, stage.cost - product) < Math.max(below.cost, stage.cost)) {
      below.cost += product;
      stage.cost -= product;
      stage.messageBelow = true;
    }
  }
  return stages;
}
