/**
 * Fused update kernels: a backend may register one kernel per update rule that reads a variable, its gradient and
 * its slots once and returns their new values (`[variable, ...slots]`), instead of the ten or so elementwise ops of
 * the composite rule. The rules in `rules.ts` use the kernel when the active backend registers it (the native
 * backend does), else the composite ops; both compute the same float32 formulas. This module imports nothing, so
 * that backends can register the kernels without importing TF.js through `deps.ts`.
 *
 * @module
 */
/** Kernel names and their attributes. Inputs are named `variable`, `gradient` and the rule's slot names. */
export const FUSED_UPDATES = {
  /** Attributes: `learningRate`. No slots. */
  sgd: "DniSgdUpdate",
  /** Attributes: `learningRate`, `momentum`, `nesterov`. Slot `accumulation`. */
  momentum: "DniMomentumUpdate",
  /** Attributes: `beta1`, `beta2`, `epsilon`, `stepSize` (learningRate / (1 - beta1^t)), `c2` (1 / (1 - beta2^t)). Slots `m`, `v`. */
  adam: "DniAdamUpdate",
  /** Attributes: `learningRate`, `decay`, `momentum`, `epsilon`. Slots `meanSquare`, `momentum`. */
  rmsprop: "DniRmsPropUpdate",
} as const;
