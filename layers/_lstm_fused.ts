// Private: the `lstm` layer's forward and backward pass over a window as one fused kernel each (FUSED.lstmForward,
// FUSED.lstmBackward of fused/names.ts), where the active backend registers them (native) and no gradient tape
// records; else the layer's composite ops run. Both compute the same float32 formulas (to rounding).
import { tf } from "../deps.ts";
import { FUSED } from "../fused/names.ts";
import { hasFused, runFused } from "../fused/run.ts";

let enabled = true;

/** Turns the fused LSTM kernels on (the default) or off for this thread, e.g. to time the composite ops. */
export function setLstmFused(on: boolean): void {
  enabled = on;
}

/** Whether the `lstm` layer's next pass would run the fused kernel. */
export function lstmFusedActive(): boolean {
  return enabled && hasFused(FUSED.lstmForward) && !tf.engine().isTapeOn();
}

/** What the fused forward pass keeps for the backward pass ([B, T, ...], row b * T + t). */
export interface FusedLstmCache {
  x: tf.Tensor3D;
  fused: { gates: tf.Tensor3D; hPrev: tf.Tensor3D; cPrev: tf.Tensor3D; tanhC: tf.Tensor3D };
}

/** One step of the composite cache, as layers/lstm.ts keeps it. */
export interface LstmStepCache {
  hPrev: tf.Tensor2D;
  cPrev: tf.Tensor2D;
  i: tf.Tensor2D;
  f: tf.Tensor2D;
  g: tf.Tensor2D;
  o: tf.Tensor2D;
  tanhC: tf.Tensor2D;
}

interface Weights {
  kernel: tf.Tensor2D;
  recurrentKernel: tf.Tensor2D;
  bias: tf.Tensor1D;
}

// The kernel `name` (`lstmFusedActive()` has checked that it runs).
const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, boolean> = {}) =>
  runFused(name, inputs, attrs)!;

/** The fused forward pass; call only when `lstmFusedActive()`. */
export function forwardFused(
  x: tf.Tensor3D,
  { kernel, recurrentKernel, bias }: Weights,
  units: number,
  initial: { h: tf.Tensor2D; c: tf.Tensor2D } | undefined,
): { output: tf.Tensor3D; state: { h: tf.Tensor2D; c: tf.Tensor2D }; cache: FusedLstmCache } {
  const batch = x.shape[0];
  const h0 = initial?.h ?? tf.zeros([batch, units]), c0 = initial?.c ?? tf.zeros([batch, units]);
  const [output, h, c, gates, hPrev, cPrev, tanhC] = run(FUSED.lstmForward, {
    x,
    kernel,
    recurrentKernel,
    bias,
    h0,
    c0,
  }, { zeroInitial: initial === undefined }) as tf.Tensor3D[];
  if (initial === undefined) tf.dispose([h0, c0]);
  return {
    output: output!,
    state: { h: h as unknown as tf.Tensor2D, c: c as unknown as tf.Tensor2D },
    cache: { x, fused: { gates: gates!, hPrev: hPrev!, cPrev: cPrev!, tanhC: tanhC! } },
  };
}

/** Whether `cache` is the fused forward pass's. */
export function isFusedCache(cache: unknown): cache is FusedLstmCache {
  return typeof cache === "object" && cache !== null && "fused" in cache;
}

/** The fused backward pass, or `undefined` when it cannot run now (the caller then runs the composite ops). */
export function backwardFused(
  cache: FusedLstmCache,
  { kernel, recurrentKernel }: Weights,
  outputGradient: tf.Tensor3D,
  final: { h: tf.Tensor2D; c: tf.Tensor2D } | undefined,
  needInputGradient: boolean,
):
  | { inputGradient?: tf.Tensor; gradients: tf.Tensor[]; stateGradient: { h: tf.Tensor2D; c: tf.Tensor2D } }
  | undefined {
  if (!lstmFusedActive()) return undefined;
  const { x, fused } = cache;
  const shape: [number, number] = [x.shape[0], fused.hPrev.shape[2]];
  const dhT = final?.h ?? tf.zeros(shape), dcT = final?.c ?? tf.zeros(shape);
  const [dW, dU, db, dh0, dc0, dx] = run(
    FUSED.lstmBackward,
    { x, kernel, recurrentKernel, ...fused, dy: outputGradient, dhT, dcT },
    { needInputGradient },
  );
  if (final === undefined) tf.dispose([dhT, dcT]);
  return {
    inputGradient: dx,
    gradients: [dW!, dU!, db!],
    stateGradient: { h: dh0 as tf.Tensor2D, c: dc0 as tf.Tensor2D },
  };
}

/** The composite cache's steps from a fused cache (when the backward pass cannot run fused). */
export function stepsOf({ x, fused }: FusedLstmCache): LstmStepCache[] {
  const [batch, time] = x.shape;
  const units = fused.hPrev.shape[2];
  const at = (t: tf.Tensor3D, step: number, from: number, size: number) =>
    tf.reshape(tf.slice(t, [0, step, from], [batch, 1, size]), [batch, size]) as tf.Tensor2D;
  return Array.from({ length: time }, (_, t) => ({
    hPrev: at(fused.hPrev, t, 0, units),
    cPrev: at(fused.cPrev, t, 0, units),
    i: at(fused.gates, t, 0, units),
    f: at(fused.gates, t, units, units),
    g: at(fused.gates, t, 2 * units, units),
    o: at(fused.gates, t, 3 * units, units),
    tanhC: at(fused.tanhC, t, 0, units),
  }));
}
