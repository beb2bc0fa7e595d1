// Private: per-channel sums of `[..., C]` tensors as one matMul with a row of ones. On tfjs-wasm a reduction over
// the leading axis of a [N, C] matrix transposes it first: for [128 * 28 * 28, 16], tf.sum(t, 0) takes 6.7 ms and
// tf.moments 15 ms, the matMul 0.5 ms.
import { tf } from "../deps.ts";

/** The sum over all axes but the last, `[C]`, of `t` (`[..., C]`, any rank >= 1). */
export function channelSum(t: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const channels = t.shape[t.rank - 1]!;
    const rows = t.size / channels;
    return tf.reshape(tf.matMul(tf.ones([1, rows]), tf.reshape(t, [rows, channels]) as tf.Tensor2D), [channels]);
  });
}
