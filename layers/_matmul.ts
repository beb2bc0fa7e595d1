// Private: matrix products whose best form depends on the backend. On the native backend (BLAS) a transposed
// operand is a flag of one sgemm and matmul + bias + ReLU is one fused kernel; on wasm the transposed-operand
// matmul is slow (bench/step_bench.ts: "dense-gradient"), so the operand is transposed first, and the bias and
// activation are separate ops (TF.js's stock path).
import { tf } from "../deps.ts";

/** Whether the active backend does matrix products in BLAS (the native backend). */
export function blasBacked(): boolean {
  return tf.getBackend() === "native";
}

/** `op(a) op(b)` where op transposes when asked. */
export function matMulT(a: tf.Tensor2D, b: tf.Tensor2D, transposeA: boolean, transposeB: boolean): tf.Tensor2D {
  if (blasBacked()) return tf.matMul(a, b, transposeA, transposeB);
  return tf.matMul(transposeA ? tf.transpose(a) : a, transposeB ? tf.transpose(b) : b);
}
