// Private: dL/dx of max pooling (NHWC) as a mask of the windows' maxima times dL/dy, without the `MaxPoolGrad`
// kernel: on tfjs-backend-wasm 4.22 that kernel is wrong for some multi-channel inputs (it disagrees with the cpu
// backend on a few elements of a [2, 6, 6, 3] input, pool 2, with no ties; see layers/max_pool2d_test.ts).
//
// Ties: every input equal to its window's maximum receives the window's gradient (TF.js gives it to one of them).
import { tf } from "../deps.ts";

type Pad = readonly [readonly [number, number], readonly [number, number]];

/**
 * dL/dx `[B, H, W, C]` of `output = maxPool(x)` given dL/d(output). `pad` is the geometry's padding (top, bottom,
 * left, right) for windows of `poolSize` every `strides`.
 */
export function maxPoolGradient(
  x: tf.Tensor4D,
  output: tf.Tensor4D,
  dy: tf.Tensor4D,
  poolSize: readonly [number, number],
  strides: readonly [number, number],
  pad: Pad,
): tf.Tensor4D {
  const tiles = strides[0] === poolSize[0] && strides[1] === poolSize[1] && pad[0][0] === 0 && pad[1][0] === 0;
  return tf.tidy(() => tiles ? tiled(x, output, dy, poolSize) : general(x, output, dy, poolSize, strides, pad));
}

// Windows that tile the input from its top-left corner (the usual pool 2, stride 2): the maxima and dy upsampled by
// nearest neighbour cover each window in one pass (21 ms for [128, 28, 28, 16], against 33-44 for MaxPoolGrad).
function tiled(x: tf.Tensor4D, output: tf.Tensor4D, dy: tf.Tensor4D, [ph, pw]: readonly [number, number]): tf.Tensor4D {
  const [batch, height, width, channels] = x.shape;
  const [, outH, outW] = output.shape;
  const full: [number, number] = [outH * ph, outW * pw];
  let maxima = tf.image.resizeNearestNeighbor(output, full);
  let spread = tf.image.resizeNearestNeighbor(dy, full);
  const rows = Math.min(full[0], height), cols = Math.min(full[1], width);
  if (rows !== full[0] || cols !== full[1]) { // "same" windows that run past the bottom or right edge
    maxima = tf.slice(maxima, [0, 0, 0, 0], [batch, rows, cols, channels]);
    spread = tf.slice(spread, [0, 0, 0, 0], [batch, rows, cols, channels]);
  }
  const covered = rows === height && cols === width ? x : tf.slice(x, [0, 0, 0, 0], [batch, rows, cols, channels]);
  const gradient = tf.mul(tf.cast(tf.equal(covered, maxima), "float32"), spread) as tf.Tensor4D;
  if (rows === height && cols === width) return gradient;
  return tf.pad(gradient, [[0, 0], [0, height - rows], [0, width - cols], [0, 0]]); // "valid" leaves some out
}

// Any windows: for each offset (i, j) in the window, the strided slice of the padded input is compared with the
// maxima, and the masked dy is scattered back (dilated by the strides, shifted by the offset).
function general(
  x: tf.Tensor4D,
  output: tf.Tensor4D,
  dy: tf.Tensor4D,
  [ph, pw]: readonly [number, number],
  [sh, sw]: readonly [number, number],
  [[top, bottom], [left, right]]: Pad,
): tf.Tensor4D {
  const [batch, height, width, channels] = x.shape;
  const [, outH, outW] = output.shape;
  const paddedH = height + top + bottom, paddedW = width + left + right;
  const padded = top + bottom + left + right > 0
    ? tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]], -Infinity)
    : x;
  let sum: tf.Tensor4D | undefined;
  for (let i = 0; i < ph; i++) {
    for (let j = 0; j < pw; j++) {
      const end = [batch, i + (outH - 1) * sh + 1, j + (outW - 1) * sw + 1, channels];
      const window = tf.stridedSlice(padded, [0, i, j, 0], end, [1, sh, sw, 1]);
      const masked = tf.mul(tf.cast(tf.equal(window, output), "float32"), dy);
      // Dilate by the strides: [B, outH, 1, outW, 1, C] padded to [B, outH, sh, outW, sw, C].
      const dilated = tf.reshape(
        tf.pad(tf.reshape(masked, [batch, outH, 1, outW, 1, channels]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [
          0,
          sw - 1,
        ], [0, 0]]),
        [batch, outH * sh, outW * sw, channels],
      );
      const h = Math.min(outH * sh, paddedH - i), w = Math.min(outW * sw, paddedW - j);
      const fitted = h === outH * sh && w === outW * sw ? dilated : tf.slice(dilated, 0, [batch, h, w, channels]);
      const placed = tf.pad(fitted, [[0, 0], [i, paddedH - i - h], [j, paddedW - j - w], [0, 0]]) as tf.Tensor4D;
      sum = sum ? tf.add(sum, placed) : placed;
    }
  }
  return tf.slice(sum!, [0, top, left, 0], [batch, height, width, channels]);
}
