// Private: dL/d(kernel) of a 2-D convolution (NHWC). tfjs-backend-wasm 4.22 registers no `Conv2DBackpropFilter`
// kernel (tf.grad of conv2d throws "Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'"), so it is
// computed from kernels that wasm has, in one of two ways:
//
// - "im2col": the input transposed to [C, B, H, W], one strided window slice per kernel offset (i, j), concatenated
//   into patches [kh*kw*C, B*outH*outW] (already the transposed layout, so no big transpose), then one plain matMul
//   with dy as [B*outH*outW, F].
// - "swapped": a convolution with batch and channels swapped: input [C, H, W, B] (padded), "filter" dy as
//   [outH, outW, B, F], dilated by the strides; the output [C, kh, kw, F] is the gradient, transposed.
//
// Measured (wasm, 1 thread, batch 128, 5x5 same, ms per gradient; bench/layers_bench.ts has the first and the
// last): input HxWxC -> F filters: 28x28x1 -> 16: im2col 11-12, swapped 16-20; 28x28x2 -> 16: 20, 20;
// 28x28x3 -> 16: 37, 26; 28x28x8 -> 16: 154, 90; 14x14x8 -> 32: 37, 26; 14x14x16 -> 32: 73-102, 33-43;
// 7x7x32 -> 64: 99, 39. An NHWC im2col followed by a transpose of the patches was the slowest (308 and 148 for the
// first and the 14x14x16 case). So "auto" takes im2col for inputs of at most 2 channels.
//
// The native backend has the kernel (native/kernels_conv.ts: im2col into blocks on the heap, then sgemm), and
// "auto" takes it there: bench/layers_bench.ts measures it against both ways above.
import { tf } from "../deps.ts";
import { blasBacked } from "./_matmul.ts";

/**
 * How the filter gradient is computed: `kernel` is the backend's own `Conv2DBackpropFilter` (native and cpu have
 * one, wasm does not); `auto` takes it on native, else picks by the number of input channels.
 */
export type FilterGradientMethod = "auto" | "kernel" | "im2col" | "swapped";

/** Up to this many input channels, `auto` takes im2col. */
export const IM2COL_MAX_CHANNELS = 2;

/**
 * dL/d(kernel) `[kh, kw, C, F]` of `y = conv2d(x, kernel)` given `x` `[B, H, W, C]` and dL/dy `[B, outH, outW, F]`,
 * with explicit padding `pad = [[top, bottom], [left, right]]`.
 */
export function conv2dFilterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  kernelSize: readonly [number, number],
  strides: readonly [number, number],
  pad: readonly [readonly [number, number], readonly [number, number]],
  method: FilterGradientMethod = "auto",
): tf.Tensor4D {
  const channels = x.shape[3];
  const use = method !== "auto"
    ? method
    : blasBacked()
    ? "kernel"
    : channels <= IM2COL_MAX_CHANNELS
    ? "im2col"
    : "swapped";
  if (use === "kernel") return backpropFilter(x, dy, kernelSize, strides, pad);
  return tf.tidy(() =>
    use === "im2col" ? im2col(x, dy, kernelSize, strides, pad) : swapped(x, dy, kernelSize, strides, pad)
  );
}

// TF.js has no public op for the kernel (tf.grad of conv2d calls it); the engine runs it by name.
function backpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  [kh, kw]: readonly [number, number],
  [sh, sw]: readonly [number, number],
  [[top, bottom], [left, right]]: readonly [readonly [number, number], readonly [number, number]],
): tf.Tensor4D {
  const attrs = {
    strides: [sh, sw],
    pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
    dataFormat: "NHWC",
    filterShape: [kh, kw, x.shape[3], dy.shape[3]],
  };
  return tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, attrs) as tf.Tensor4D;
}

function im2col(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  [kh, kw]: readonly [number, number],
  [sh, sw]: readonly [number, number],
  [[top, bottom], [left, right]]: readonly [readonly [number, number], readonly [number, number]],
): tf.Tensor4D {
  const [batch, , , channels] = x.shape;
  const [, outH, outW, filters] = dy.shape;
  let xt = tf.transpose(x, [3, 0, 1, 2]);
  if (top + bottom + left + right > 0) xt = tf.pad(xt, [[0, 0], [0, 0], [top, bottom], [left, right]]);
  const windows: tf.Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      windows.push(
        sh === 1 && sw === 1
          ? tf.slice(xt, [0, 0, i, j], [channels, batch, outH, outW])
          : tf.stridedSlice(xt, [0, 0, i, j], [channels, batch, i + (outH - 1) * sh + 1, j + (outW - 1) * sw + 1], [
            1,
            1,
            sh,
            sw,
          ]),
      );
    }
  }
  const patches = tf.reshape(tf.concat(windows, 0), [kh * kw * channels, batch * outH * outW]);
  const gradient = tf.matMul(patches as tf.Tensor2D, tf.reshape(dy, [batch * outH * outW, filters]) as tf.Tensor2D);
  return tf.reshape(gradient, [kh, kw, channels, filters]);
}

function swapped(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  [kh, kw]: readonly [number, number],
  strides: readonly [number, number],
  [[top, bottom], [left, right]]: readonly [readonly [number, number], readonly [number, number]],
): tf.Tensor4D {
  const channels = x.shape[3];
  const filters = dy.shape[3];
  const input = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D; // [C, H, W, B]
  const filter = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [outH, outW, B, F]
  const pad: [[number, number], [number, number], [number, number], [number, number]] = [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
  let out = tf.conv2d(input, filter, 1, pad, "NHWC", [strides[0], strides[1]]); // [C, >= kh, >= kw, F]
  if (out.shape[1] !== kh || out.shape[2] !== kw) out = tf.slice(out, [0, 0, 0, 0], [channels, kh, kw, filters]);
  return tf.transpose(out, [1, 2, 0, 3]);
}
