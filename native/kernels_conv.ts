// Private: the 2-D convolutions (NHWC, dilation 1) on BLAS. A block of output rows at a time, the input's patches
// (im2col: one row of kh*kw*C values per output pixel, in the filter's [kh, kw, C] order) are copied into a scratch
// buffer on the heap of at most 1 MiB (by SIMD wasm, native/wasm/conv.wat), then one sgemm per block:
//   Conv2D                out[rows, F]    = patches[rows, K] filter[K, F]       (+ bias, relu: FusedConv2D)
//   Conv2DBackpropFilter  dFilter[K, F]  += patches[rows, K]^T dy[rows, F]
//   Conv2DBackpropInput   dPatches[rows, K] = dy[rows, F] filter[K, F]^T, added back into dx (col2im)
// A 1x1 kernel with stride 1 and no padding needs no patches: the input is the matrix. Other data formats and
// dilations go to the wasm kernel (wasm has no Conv2DBackpropFilter: that one throws instead).
import type { tf as TF } from "../deps.ts";
import type { Blas } from "./blas.ts";
import {
  floatOffset,
  heapFloats,
  type KernelArgs,
  type NativeKernel,
  sizeOf,
  type TensorInfo,
  view,
  type WasmBackend,
  wasmKernel,
} from "./_heap.ts";
import { reluInPlace } from "./_simd.ts";
import { convSimd, type PatchPass } from "./_conv_simd.ts";

type Tf = typeof TF;
type Shape4 = [number, number, number, number];

// The most floats of patches held at once: 1 MiB, which bounds the memory used and keeps a block in cache (on the
// CNN's 16->32 conv, blocks of 256 KiB to 4 MiB measured alike within noise, 16 MiB ~30% slower).
let chunk = 1 << 18;

/** Sets the most floats of patches the kernels hold at once (tests use small blocks); returns the previous value. */
export function setConvChunk(floats: number): number {
  const previous = chunk;
  chunk = Math.max(1, Math.floor(floats));
  return previous;
}

/** The geometry of one convolution. */
interface Geometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
}

// TF.js's own geometry (same, valid, explicit padding, rounding modes); undefined for what these kernels leave out.
function geometry(
  tf: Tf,
  inShape: number[],
  filterShape: number[],
  attrs: Record<string, unknown>,
): Geometry | undefined {
  const format = (attrs.dataFormat as string | undefined) ?? "NHWC";
  if (format !== "NHWC" && format !== "channelsLast") return undefined;
  const info = tf.backend_util.computeConv2DInfo(
    inShape as Shape4,
    filterShape as Shape4,
    attrs.strides as [number, number],
    (attrs.dilations as [number, number] | undefined) ?? 1,
    attrs.pad as "same",
    attrs.dimRoundingMode as "floor" | undefined,
    false,
    "channelsLast",
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return undefined;
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
}

const patchSize = (g: Geometry) => g.kh * g.kw * g.inC;
const pointwise = (g: Geometry) => g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.top + g.left === 0;

// Runs shorter than this (kw * C values: few channels) are copied a patch column at a time (conv.wat's
// im2colColumns), longer ones a window row at a time (im2colRows). CPU ms for the patches of 128 images, "same",
// by columns against by rows: 28x28x1 5x5 (runs of 5) 2.2 against 8.8; 28x28x4 3x3 (12) 2.4 against 6.6; 28x28x4
// 5x5 (20) 7.0 against 8.2; 14x14x8 3x3 (24) 1.9 against 1.2; 14x14x16 5x5 (80) 9.5 against 3.9.
const SHORT_RUN = 24;

/** One block of output lines [line0, line1): `H` views the whole heap, `p` is the float offset of its patches. */
interface Block {
  H: Float32Array;
  p: number;
  line0: number;
  line1: number;
  /** Writes the block's patches of the image at float offset `x` (im2col). */
  im2col(x: number): void;
  /** Adds the block's patches into the image at float offset `x` (col2im). */
  col2im(x: number): void;
}

// Runs `step` over blocks of whole output lines, with room for a block's patches (rows x K) on the heap. The heap
// view and the tensors' offsets are taken after the scratch is allocated (an allocation can grow the heap, which
// invalidates views).
function blocks(backend: WasmBackend, g: Geometry, step: (block: Block) => void): void {
  const simd = convSimd(backend);
  if (simd === undefined) throw new Error("native backend: the SIMD kernels cannot run on this heap");
  const lineFloats = g.outW * patchSize(g), lines = g.batch * g.outH;
  const perBlock = Math.max(1, Math.floor(chunk / Math.max(1, lineFloats)));
  const scratch = backend.makeOutput([Math.min(perBlock, lines) * lineFloats], "float32");
  try {
    const H = heap(backend), p = floatOffset(backend, scratch);
    const { inH, inW, inC, outH, outW, kh, kw, sh, sw, top, left } = g;
    const byRows = kw * inC >= SHORT_RUN;
    for (let line0 = 0; line0 < lines; line0 += perBlock) {
      const line1 = Math.min(lines, line0 + perBlock);
      const pass = (f: PatchPass, x: number) =>
        f(4 * x, 4 * p, inH, inW, inC, outH, outW, kh, kw, sh, sw, top, left, line0, line1);
      step({
        H,
        p,
        line0,
        line1,
        im2col: (x) => pass(byRows ? simd.im2colRows : simd.im2colColumns, x),
        col2im: (x) => pass(simd.col2im, x),
      });
    }
  } finally {
    backend.disposeData(scratch.dataId, true);
  }
}

const heap = heapFloats;

// The float offset of a tensor's values in the heap.
const at = floatOffset;

function conv(blas: Blas, tf: Tf, fallback: NativeKernel, fused: boolean): NativeKernel {
  return (args: KernelArgs) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const activation = fused ? (args.attrs.activation as string | undefined) ?? "linear" : "linear";
    const g = geometry(tf, x!.shape, filter!.shape, args.attrs);
    if (
      g === undefined || x!.dtype !== "float32" || filter!.dtype !== "float32" ||
      preluActivationWeights !== undefined || (activation !== "linear" && activation !== "relu") ||
      (bias !== undefined && (bias.dtype !== "float32" || sizeOf(bias.shape) !== g.outC))
    ) return fallback(args);
    const { backend } = args, K = patchSize(g), F = g.outC, lines = g.batch * g.outH;
    const out = backend.makeOutput([g.batch, g.outH, g.outW, F], "float32");
    const Y = view(backend, out);
    if (bias !== undefined) {
      const values = view(backend, bias);
      for (let row = 0; row < Y.length; row += F) Y.set(values, row);
    } else if (K === 0) Y.fill(0);
    const beta = bias === undefined ? 0 : 1;
    if (K * Y.length > 0 && pointwise(g)) {
      blas.sgemm(false, false, lines * g.outW, F, K, 1, view(backend, x!), K, view(backend, filter!), F, beta, Y, F);
    } else if (K * Y.length > 0) {
      blocks(backend, g, ({ H, p, line0, line1, im2col }) => {
        im2col(at(backend, x!));
        const rows = (line1 - line0) * g.outW, y = at(backend, out) + line0 * g.outW * F, w = at(backend, filter!);
        blas.sgemm(false, false, rows, F, K, 1, H.subarray(p), K, H.subarray(w), F, beta, H.subarray(y), F);
      });
    }
    if (activation === "relu") reluInPlace(backend, out);
    return out;
  };
}

function backpropFilter(blas: Blas, tf: Tf): NativeKernel {
  return (args: KernelArgs) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const filterShape = args.attrs.filterShape as number[];
    const g = geometry(tf, x.shape, filterShape, args.attrs);
    if (g === undefined || x.dtype !== "float32" || dy.dtype !== "float32") {
      throw new Error("native backend: Conv2DBackpropFilter supports float32 NHWC inputs only");
    }
    const { backend } = args, K = patchSize(g), F = g.outC, rows = g.batch * g.outH * g.outW;
    const out = backend.makeOutput([...filterShape], "float32");
    if (rows === 0 || K * F === 0) view(backend, out).fill(0);
    else if (pointwise(g)) {
      blas.sgemm(true, false, K, F, rows, 1, view(backend, x), K, view(backend, dy), F, 0, view(backend, out), F);
    } else {
      blocks(backend, g, ({ H, p, line0, line1, im2col }) => {
        im2col(at(backend, x));
        const n = (line1 - line0) * g.outW, d = at(backend, dy) + line0 * g.outW * F;
        const beta = line0 > 0 ? 1 : 0;
        blas.sgemm(true, false, K, F, n, 1, H.subarray(p), K, H.subarray(d), F, beta, view(backend, out), F);
      });
    }
    return out;
  };
}

function backpropInput(blas: Blas, tf: Tf, fallback: NativeKernel): NativeKernel {
  return (args: KernelArgs) => {
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const inputShape = args.attrs.inputShape as number[];
    const g = geometry(tf, inputShape, filter.shape, args.attrs);
    if (g === undefined || dy.dtype !== "float32" || filter.dtype !== "float32") return fallback(args);
    const { backend } = args, K = patchSize(g), F = g.outC, rows = g.batch * g.outH * g.outW;
    const out = backend.makeOutput([...inputShape], "float32");
    if (pointwise(g) && K * F > 0) {
      blas.sgemm(false, true, rows, K, F, 1, view(backend, dy), F, view(backend, filter), F, 0, view(backend, out), K);
      return out;
    }
    view(backend, out).fill(0);
    if (rows === 0 || K * F === 0) return out;
    blocks(backend, g, ({ H, p, line0, line1, col2im }) => {
      const n = (line1 - line0) * g.outW, d = at(backend, dy) + line0 * g.outW * F, w = at(backend, filter);
      blas.sgemm(false, true, n, K, F, 1, H.subarray(d), F, H.subarray(w), F, 0, H.subarray(p), K);
      col2im(at(backend, out));
    });
    return out;
  };
}

/**
 * The native convolution kernels: replacements for the wasm backend's `Conv2D`, `FusedConv2D` (bias, linear or
 * relu) and `Conv2DBackpropInput`, by name, to go into the native backend's overrides. `Conv2DBackpropFilter`,
 * which wasm does not have (so an override would never be picked up), is registered for the native backend here.
 *
 * @param tf The TF.js instance (its convolution geometry and kernel registry).
 * @param blas The BLAS library.
 * @param backendName The name the native backend is registered under.
 */
export function convKernels(tf: Tf, blas: Blas): Record<string, NativeKernel> {
  return {
    Conv2D: conv(blas, tf, wasmKernel(tf, "Conv2D"), false),
    FusedConv2D: conv(blas, tf, wasmKernel(tf, "FusedConv2D"), true),
    Conv2DBackpropInput: backpropInput(blas, tf, wasmKernel(tf, "Conv2DBackpropInput")),
    Conv2DBackpropFilter: backpropFilter(blas, tf), // wasm has none
  };
}
