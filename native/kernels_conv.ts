// Private: the 2-D convolutions (NHWC, dilation 1) on BLAS. A block of output rows at a time, the input's patches
// (im2col: one row of kh*kw*C values per output pixel, in the filter's [kh, kw, C] order) are copied into a scratch
// buffer on the heap of at most 1 MiB, then one sgemm per block:
//   Conv2D                out[rows, F]    = patches[rows, K] filter[K, F]       (+ bias, relu: FusedConv2D)
//   Conv2DBackpropFilter  dFilter[K, F]  += patches[rows, K]^T dy[rows, F]
//   Conv2DBackpropInput   dPatches[rows, K] = dy[rows, F] filter[K, F]^T, added back into dx (col2im)
// A 1x1 kernel with stride 1 and no padding needs no patches: the input is the matrix. Other data formats and
// dilations go to the wasm kernel (wasm has no Conv2DBackpropFilter: that one throws instead).
import type { tf as TF } from "../deps.ts";
import type { Blas } from "./blas.ts";
import {
  type KernelArgs,
  type NativeKernel,
  offset,
  sizeOf,
  type TensorInfo,
  view,
  type WasmBackend,
  wasmKernel,
} from "./_heap.ts";
import { simdKernels } from "./_simd.ts";

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

// Below, H is a view of the whole heap and x, p, dx are float offsets into it: the patches sit on the heap beside
// the tensors, so a run of kw*C values copies with one copyWithin (a memmove).

// Writes the patches of output lines [line0, line1) (a line: one output row of one image) at p; zeros where a
// window reaches into the padding.
function im2col(H: Float32Array, x: number, p: number, g: Geometry, line0: number, line1: number): void {
  if (g.kw * g.inC < SHORT_RUN) return im2colByColumn(H, x, p, g, line0, line1);
  const { inH, inW, inC, outH, outW, kh, kw, sh, sw, top, left } = g;
  const run = kw * inC, K = kh * run, rowStride = inW * inC;
  let d = p;
  for (let line = line0; line < line1; line++) {
    const b = Math.floor(line / outH), iy0 = (line - b * outH) * sh - top, image = x + b * inH * rowStride;
    for (let ox = 0; ox < outW; ox++, d += K) {
      const ix0 = ox * sw - left;
      const lo = Math.min(kw, Math.max(0, -ix0)) * inC, hi = Math.max(lo, Math.min(kw, inW - ix0) * inC);
      for (let ky = 0, at = d; ky < kh; ky++, at += run) {
        const iy = iy0 + ky, s = image + iy * rowStride + ix0 * inC;
        if (iy < 0 || iy >= inH || hi === lo) H.fill(0, at, at + run);
        else {
          if (lo > 0) H.fill(0, at, at + lo);
          H.copyWithin(at + lo, s + lo, s + hi);
          if (hi < run) H.fill(0, at + hi, at + run);
        }
      }
    }
  }
}

// Runs shorter than this (few channels) are copied a patch column at a time: one loop along the output line per
// (ky, kx, c), which for one channel runs ~2x faster than short runs one by one.
const SHORT_RUN = 16;

function im2colByColumn(H: Float32Array, x: number, p: number, g: Geometry, line0: number, line1: number): void {
  const { inH, inW, inC, outH, outW, kh, kw, sh, sw, top, left } = g;
  const K = kh * kw * inC, rowStride = inW * inC, step = sw * inC;
  for (let line = line0, d = p; line < line1; line++, d += outW * K) {
    const b = Math.floor(line / outH), iy0 = (line - b * outH) * sh - top, image = x + b * inH * rowStride;
    for (let ky = 0; ky < kh; ky++) {
      const iy = iy0 + ky, inside = iy >= 0 && iy < inH;
      for (let kx = 0; kx < kw; kx++) {
        // The output columns whose window column kx falls inside the image: 0 <= ox * sw - left + kx < inW.
        const ox0 = inside ? Math.min(outW, Math.max(0, Math.ceil((left - kx) / sw))) : outW;
        const ox1 = inside ? Math.max(ox0, Math.min(outW, Math.floor((inW - 1 + left - kx) / sw) + 1)) : outW;
        for (let c = 0; c < inC; c++) {
          let at = d + (ky * kw + kx) * inC + c, s = image + iy * rowStride + (ox0 * sw - left + kx) * inC + c;
          for (let ox = 0; ox < ox0; ox++, at += K) H[at] = 0;
          for (let ox = ox0; ox < ox1; ox++, at += K, s += step) H[at] = H[s]!;
          for (let ox = ox1; ox < outW; ox++, at += K) H[at] = 0;
        }
      }
    }
  }
}

// The other way (col2im): adds the patches at p of output lines [line0, line1) into the image at dx.
function col2im(H: Float32Array, dx: number, p: number, g: Geometry, line0: number, line1: number): void {
  const { inH, inW, inC, outH, outW, kh, kw, sh, sw, top, left } = g;
  const run = kw * inC, K = kh * run, rowStride = inW * inC;
  let d = p;
  for (let line = line0; line < line1; line++) {
    const b = Math.floor(line / outH), iy0 = (line - b * outH) * sh - top, image = dx + b * inH * rowStride;
    for (let ox = 0; ox < outW; ox++, d += K) {
      const ix0 = ox * sw - left;
      const lo = Math.min(kw, Math.max(0, -ix0)) * inC, hi = Math.max(lo, Math.min(kw, inW - ix0) * inC);
      for (let ky = 0, at = d; ky < kh; ky++, at += run) {
        const iy = iy0 + ky, s = image + iy * rowStride + ix0 * inC;
        if (iy >= 0 && iy < inH) { for (let t = lo; t < hi; t++) H[s + t] = H[s + t]! + H[at + t]!; }
      }
    }
  }
}

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
  const lineFloats = g.outW * patchSize(g), lines = g.batch * g.outH;
  const perBlock = Math.max(1, Math.floor(chunk / Math.max(1, lineFloats)));
  const scratch = backend.makeOutput([Math.min(perBlock, lines) * lineFloats], "float32");
  try {
    const H = heap(backend), p = offset(backend, scratch) >> 2;
    for (let line0 = 0; line0 < lines; line0 += perBlock) {
      const line1 = Math.min(lines, line0 + perBlock);
      step({
        H,
        p,
        line0,
        line1,
        im2col: (x) => im2col(H, x, p, g, line0, line1),
        col2im: (x) => col2im(H, x, p, g, line0, line1),
      });
    }
  } finally {
    backend.disposeData(scratch.dataId, true);
  }
}

function heap(backend: WasmBackend): Float32Array {
  const { buffer } = backend.wasm.HEAPU8;
  return new Float32Array(buffer, 0, buffer.byteLength >> 2);
}

// The float offset of a tensor's values in the heap.
const at = (backend: WasmBackend, t: TensorInfo) => offset(backend, t) >> 2;

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
    if (activation === "relu") {
      const simd = simdKernels(backend);
      if (simd !== undefined) simd.relu(offset(backend, out), sizeOf(out.shape));
      else {
        const Y = view(backend, out);
        for (let i = 0; i < Y.length; i++) if (Y[i]! < 0) Y[i] = 0; // NaN stays NaN
      }
    }
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
export function convKernels(tf: Tf, blas: Blas, backendName: string): Record<string, NativeKernel> {
  if (tf.getKernel("Conv2DBackpropFilter", backendName) === undefined) {
    tf.registerKernel({
      kernelName: "Conv2DBackpropFilter",
      backendName,
      kernelFunc: backpropFilter(blas, tf) as unknown as Parameters<Tf["registerKernel"]>[0]["kernelFunc"],
    });
  }
  return {
    Conv2D: conv(blas, tf, wasmKernel(tf, "Conv2D"), false),
    FusedConv2D: conv(blas, tf, wasmKernel(tf, "FusedConv2D"), true),
    Conv2DBackpropInput: backpropInput(blas, tf, wasmKernel(tf, "Conv2DBackpropInput")),
  };
}
