// Private: dL/d(input) of a 2-D convolution (NHWC). With stride 1 it is a plain convolution of dy, padded by
// (k - 1 - pad) on each side, with the kernel turned by 180 degrees and its channel axes swapped; on wasm that runs
// ~1.5x (28x28x1 -> 16) to ~9x (14x14x16 -> 32) faster than tf.conv2dTranspose (the Conv2DBackpropInput kernel):
// 32 ms against 47 and 286 at batch 128, 5x5 same. Strides above 1 would need dy dilated with zeros: those take
// tf.conv2dTranspose.
//
// On the native backend the Conv2DBackpropInput kernel is a BLAS product and a col2im (native/kernels_conv.ts) for
// any stride, so tf.conv2dTranspose is taken there.
import { tf } from "../deps.ts";
import { blasBacked } from "./_matmul.ts";

/**
 * dL/dx `[B, H, W, C]` of `y = conv2d(x, kernel)` given dL/dy `[B, outH, outW, F]`, the kernel `[kh, kw, C, F]` and
 * the explicit padding `pad = [[top, bottom], [left, right]]` of the forward pass.
 */
export function conv2dInputGradient(
  dy: tf.Tensor4D,
  kernel: tf.Tensor4D,
  inputShape: readonly [number, number, number, number],
  strides: readonly [number, number],
  [[top, bottom], [left, right]]: readonly [readonly [number, number], readonly [number, number]],
): tf.Tensor4D {
  const [kh, kw] = kernel.shape;
  return tf.tidy(() => {
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ];
    if (blasBacked() || strides[0] !== 1 || strides[1] !== 1) {
      return tf.conv2dTranspose(dy, kernel, [...inputShape], [strides[0], strides[1]], pad);
    }
    const turned = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D; // [kh, kw, F, C]
    const backPad: typeof pad = [[0, 0], [kh - 1 - top, kh - 1 - bottom], [kw - 1 - left, kw - 1 - right], [0, 0]];
    return tf.conv2d(dy, turned, 1, backPad);
  });
}
