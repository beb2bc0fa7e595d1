/**
 * Fused kernels: a backend may register a kernel that does in one pass what `dni` otherwise does with several
 * TF.js ops. Callers use the kernel when the active backend registers it (the native backend does; see
 * `fused/run.ts`), else the composite ops; both compute the same float32 formulas. This module imports nothing, so
 * that backends can register the kernels without importing TF.js through `deps.ts`.
 *
 * @module
 */

/**
 * Kernel names. The update kernels take inputs `variable`, `gradient` and the rule's slots (by slot name) and
 * return `[variable, ...slots]` updated.
 */
export const FUSED = {
  /** SGD update. Attributes: `learningRate`. No slots. */
  sgd: "DniSgdUpdate",
  /** Momentum update. Attributes: `learningRate`, `momentum`, `nesterov`. Slot `accumulation`. */
  momentum: "DniMomentumUpdate",
  /**
   * Adam update. Attributes: `beta1`, `beta2`, `epsilon`, `stepSize` (learningRate / (1 - beta1^t)), `c2`
   * (1 / (1 - beta2^t)). Slots `m`, `v`.
   */
  adam: "DniAdamUpdate",
  /** RMSProp update. Attributes: `learningRate`, `decay`, `momentum`, `epsilon`. Slots `meanSquare`, `momentum`. */
  rmsprop: "DniRmsPropUpdate",
  /** ReLU's backward from its output: inputs `dy`, `y`; returns `dy` where `y > 0`, else 0. */
  reluGrad: "DniReluGrad",
  /**
   * Softmax cross-entropy on logits: inputs `logits` [B, C], `labels` [B, C]; returns `[loss, gradient]`, the mean
   * over the batch of `-sum_k labels log softmax(logits)` and `(softmax(logits) - labels) / B`.
   */
  softmaxCrossEntropy: "DniSoftmaxCrossEntropy",
  /**
   * A synthesizer's L2 regression: inputs `prediction`, `target` (same shape, first axis the batch B); attribute
   * `targetScale`. With d = prediction - target * targetScale, returns `[loss, gradient]`: sum(d^2) / B and
   * d * (2 / B).
   */
  l2Regression: "DniL2Regression",
  /** Finiteness of any number of tensors (inputs named `t0`, `t1`, ...): a scalar, 0 when all are finite, else NaN. */
  nonFinite: "DniNonFinite",
  /**
   * Batch norm's training forward per channel (last axis) over all other axes: inputs `x` [..., C], `gamma`, `beta`
   * [C]; attributes `epsilon`, `relu` (ReLU applied to the output). Returns `[output, normalized, mean, variance,
   * invStd]` (normalized [N, C], the others [C]; variance the biased one).
   */
  batchNormForward: "DniBatchNormForward",
  /**
   * Batch norm's backward: inputs `dy` [..., C], `normalized` [N, C], `gamma`, `invStd` [C], and `y` (optional:
   * the ReLU'd output, dy then counts only where y > 0). Returns `[dz, dGamma, dBeta]`,
   * dz = gamma invStd / N (N dy - dBeta - normalized dGamma).
   */
  batchNormBackward: "DniBatchNormBackward",
  /**
   * Max pooling (NHWC) that records each window's argmax: input `x`; attributes `ph`, `pw` (window), `sh`, `sw`
   * (strides), `top`, `left` (padding), `outH`, `outW`. Returns `[output, argmax]`, argmax (int32, output's shape)
   * the flat index into `x` of the first maximum of each window.
   */
  maxPoolArgmax: "DniMaxPoolArgmax",
  /** Its backward: inputs `dy`, `argmax`; attributes `height`, `width` of x. Returns dx, dy added at the argmax. */
  maxPoolArgmaxGrad: "DniMaxPoolArgmaxGrad",
  /**
   * An LSTM's forward pass over a window (layers/lstm.ts): inputs `x` [B, T, F], `kernel` [F, 4U],
   * `recurrentKernel` [U, 4U], `bias` [4U], `h0`, `c0` [B, U]; attribute `zeroInitial` (h0 is zeros: the first
   * step's recurrent product is skipped); returns `[output, h, c, gates, hPrev, cPrev, tanhC]`: every step's hidden
   * state [B, T, U], the final state, and for the backward pass the activated gates (i, f, g, o) [B, T, 4U] and each
   * step's h_{t-1}, c_{t-1} and tanh(c_t) [B, T, U].
   */
  lstmForward: "DniLstmForward",
  /**
   * Its backward pass: inputs `x`, `kernel`, `recurrentKernel`, `gates`, `hPrev`, `cPrev`, `tanhC` (as above),
   * `dy` [B, T, U], `dhT`, `dcT` [B, U]; attribute `needInputGradient`; returns `[dKernel, dRecurrentKernel, dBias,
   * dh0, dc0]`, then `dx` [B, T, F] when asked.
   */
  lstmBackward: "DniLstmBackward",
} as const;
