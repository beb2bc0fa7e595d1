// Private: the fused kernels of a conv net's training step (fused/names.ts): batch norm's forward and backward per
// channel (the last axis) in two passes over the values each, and max pooling that records each window's argmax with
// a backward that adds dy at those indices (no mask of the maxima, no upsampling). SIMD wasm on the heap
// (native/wasm/cnn.wat) when the channels are a multiple of 4, else plain loops here; per-channel sums in float64,
// every value rounded to float32 where the composite ops round it.
import { FUSED } from "../fused/names.ts";
import {
  type KernelArgs,
  type NativeKernel,
  offset,
  onHeap,
  sizeOf,
  type TensorInfo,
  view,
  type WasmBackend,
} from "./_heap.ts";
import { CNN_WASM_BASE64 } from "./wasm/cnn_wasm.ts";

/** The exported functions of cnn.wat (byte offsets; see there). */
interface CnnSimd {
  channelDots(a: number, b: number, rows: number, C: number, sums: number, dots: number, mask: number): void;
  channelDots16(a: number, b: number, rows: number, C: number, sums: number, dots: number, mask: number): void;
  bnApply(...args: number[]): void;
  bnGradApply(...args: number[]): void;
  maxPoolArgmax(...args: number[]): void;
  scatterAdd(dy: number, arg: number, n: number, dx: number, nx: number): void;
}

const cnnSimd: (backend: WasmBackend) => CnnSimd | undefined = onHeap<CnnSimd>(CNN_WASM_BASE64);

// The SIMD functions when `channels` suits them (a multiple of 4) and the heap can be imported.
function simdFor(backend: WasmBackend, channels: number): CnnSimd | undefined {
  return channels % 4 === 0 ? cnnSimd(backend) : undefined;
}

// Per-channel sums of a and of a * b (float64, [C] each) by SIMD, through a scratch block on the heap; a counts
// only where `mask` (if any) is positive.
function channelDots(
  simd: CnnSimd,
  backend: WasmBackend,
  a: TensorInfo,
  b: TensorInfo,
  C: number,
  mask?: TensorInfo,
) {
  const scratch = backend.makeOutput([4 * C], "float32"); // 2 x C float64
  try {
    const at = offset(backend, scratch);
    new Float64Array(backend.wasm.HEAPU8.buffer, at, 2 * C).fill(0);
    const m = mask === undefined ? 0 : offset(backend, mask);
    const dots = C % 16 === 0 ? simd.channelDots16 : simd.channelDots; // 16 channels: the sums held in registers
    dots(offset(backend, a), offset(backend, b), sizeOf(a.shape) / C, C, at, at + 8 * C, m);
    const sums = new Float64Array(backend.wasm.HEAPU8.buffer, at, 2 * C).slice();
    return { sums: sums.subarray(0, C), dots: sums.subarray(C) };
  } finally {
    backend.disposeData(scratch.dataId, true);
  }
}

function int32View(backend: WasmBackend, t: TensorInfo): Int32Array {
  return new Int32Array(backend.wasm.HEAPU8.buffer, offset(backend, t), sizeOf(t.shape));
}

const f32 = Math.fround;

function batchNormForward(args: KernelArgs): TensorInfo[] {
  const { x, gamma, beta } = args.inputs as { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
  const b = args.backend, C = x.shape[x.shape.length - 1]!, size = sizeOf(x.shape), N = size / C;
  const epsilon = args.attrs.epsilon as number, floor = args.attrs.relu ? 0 : -Infinity;
  const out = b.makeOutput(x.shape, "float32"), normalized = b.makeOutput([N, C], "float32");
  const [mean, variance, invStd] = [0, 1, 2].map(() => b.makeOutput([C], "float32"));
  const simd = simdFor(b, C);
  if (simd !== undefined) {
    const { sums, dots } = channelDots(simd, b, x, x, C);
    const M = view(b, mean!), V = view(b, variance!), I = view(b, invStd!);
    for (let c = 0; c < C; c++) {
      const m = sums[c]! / N;
      M[c] = m;
      V[c] = Math.max(0, dots[c]! / N - m * m);
      I[c] = 1 / Math.sqrt(f32(V[c]! + epsilon));
    }
    const at = (t: TensorInfo) => offset(b, t);
    simd.bnApply(at(x), N, C, ...[mean!, invStd!, gamma, beta, normalized, out].map(at), floor);
    return [out, normalized, mean!, variance!, invStd!];
  }
  const X = view(b, x), Y = view(b, out), Z = view(b, normalized), G = view(b, gamma), Be = view(b, beta);
  const M = view(b, mean!), V = view(b, variance!), I = view(b, invStd!);
  const s = new Float64Array(C), q = new Float64Array(C);
  for (let i = 0; i < size; i += C) {
    for (let c = 0; c < C; c++) {
      const v = X[i + c]!;
      s[c] = s[c]! + v;
      q[c] = q[c]! + v * v;
    }
  }
  for (let c = 0; c < C; c++) {
    const m = s[c]! / N;
    M[c] = m;
    V[c] = Math.max(0, q[c]! / N - m * m);
    I[c] = 1 / Math.sqrt(f32(V[c]! + epsilon));
  }
  for (let i = 0; i < size; i += C) {
    for (let c = 0; c < C; c++) {
      const n = f32(f32(X[i + c]! - M[c]!) * I[c]!);
      Z[i + c] = n;
      const y = f32(f32(n * G[c]!) + Be[c]!);
      Y[i + c] = floor === 0 && y <= 0 ? 0 : y;
    }
  }
  return [out, normalized, mean!, variance!, invStd!];
}

function batchNormBackward(args: KernelArgs): TensorInfo[] {
  const { dy, normalized, gamma, invStd, y } = args.inputs as Record<string, TensorInfo | undefined>;
  const b = args.backend, C = dy!.shape[dy!.shape.length - 1]!, size = sizeOf(dy!.shape), N = size / C;
  const dz = b.makeOutput(dy!.shape, "float32");
  const dGamma = b.makeOutput([C], "float32"), dBeta = b.makeOutput([C], "float32");
  const simd = simdFor(b, C);
  if (simd !== undefined) {
    const { sums, dots } = channelDots(simd, b, dy!, normalized!, C, y);
    const scale = b.makeOutput([C], "float32");
    try {
      const DG = view(b, dGamma), DB = view(b, dBeta), G = view(b, gamma!), I = view(b, invStd!), S = view(b, scale);
      for (let c = 0; c < C; c++) {
        DB[c] = sums[c]!;
        DG[c] = dots[c]!;
        S[c] = f32(G[c]! * I[c]!) / N;
      }
      const at = (t: TensorInfo) => offset(b, t);
      const mask = y === undefined ? 0 : at(y);
      simd.bnGradApply(at(dy!), at(normalized!), N, C, N, ...[dBeta, dGamma, scale, dz].map(at), mask);
    } finally {
      b.disposeData(scale.dataId, true);
    }
    return [dz, dGamma, dBeta];
  }
  const D = view(b, dy!), Z = view(b, normalized!), G = view(b, gamma!), I = view(b, invStd!), O = view(b, dz);
  const Y = y === undefined ? undefined : view(b, y);
  const d = (i: number) => Y === undefined || Y[i]! > 0 ? D[i]! : 0;
  const DG = view(b, dGamma), DB = view(b, dBeta);
  const s = new Float64Array(C), sn = new Float64Array(C);
  for (let i = 0; i < size; i += C) {
    for (let c = 0; c < C; c++) {
      const v = d(i + c);
      s[c] = s[c]! + v;
      sn[c] = sn[c]! + v * Z[i + c]!;
    }
  }
  const scale = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    DB[c] = s[c]!;
    DG[c] = sn[c]!;
    scale[c] = f32(G[c]! * I[c]!) / N;
  }
  for (let i = 0; i < size; i += C) {
    for (let c = 0; c < C; c++) {
      const centered = f32(f32(f32(d(i + c) * N) - DB[c]!) - f32(Z[i + c]! * DG[c]!));
      O[i + c] = centered * scale[c]!;
    }
  }
  return [dz, dGamma, dBeta];
}

function maxPoolArgmax(args: KernelArgs): TensorInfo[] {
  const x = args.inputs.x!;
  const [B, H, W, C] = x.shape as [number, number, number, number];
  const a = args.attrs as Record<string, number>;
  const { ph, pw, sh, sw, top, left, outH, outW } = a as Record<string, number>;
  const b = args.backend;
  const out = b.makeOutput([B, outH!, outW!, C], "float32"), argmax = b.makeOutput([B, outH!, outW!, C], "int32");
  const simd = simdFor(b, C);
  if (simd !== undefined) {
    const [px, py, pa] = [x, out, argmax].map((t) => offset(b, t));
    simd.maxPoolArgmax(px!, py!, pa!, B, H, W, C, outH!, outW!, ph!, pw!, sh!, sw!, top!, left!);
    return [out, argmax];
  }
  const X = view(b, x), Y = view(b, out), A = int32View(b, argmax);
  const best = new Float32Array(C), where = new Int32Array(C);
  let o = 0;
  for (let n = 0; n < B; n++) {
    for (let oy = 0; oy < outH!; oy++) {
      const y0 = Math.max(0, oy * sh! - top!), y1 = Math.min(H, oy * sh! - top! + ph!);
      for (let ox = 0; ox < outW!; ox++) {
        const x0 = Math.max(0, ox * sw! - left!), x1 = Math.min(W, ox * sw! - left! + pw!);
        best.fill(-Infinity);
        where.fill(((n * H + y0) * W + x0) * C);
        for (let y = y0; y < y1; y++) {
          for (let xx = x0; xx < x1; xx++) {
            const at = ((n * H + y) * W + xx) * C;
            for (let c = 0; c < C; c++) {
              const v = X[at + c]!;
              if (v > best[c]! || (v !== v && best[c] === best[c])) { // the first maximum; NaN wins, as in maxPool
                best[c] = v;
                where[c] = at;
              }
            }
          }
        }
        for (let c = 0; c < C; c++) {
          Y[o + c] = best[c]!;
          A[o + c] = where[c]! + c;
        }
        o += C;
      }
    }
  }
  return [out, argmax];
}

function maxPoolArgmaxGrad(args: KernelArgs): TensorInfo {
  const { dy, argmax } = args.inputs as { dy: TensorInfo; argmax: TensorInfo };
  const b = args.backend, [B, , , C] = dy.shape as [number, number, number, number];
  const dx = b.makeOutput([B, args.attrs.height as number, args.attrs.width as number, C], "float32");
  const simd = cnnSimd(b);
  if (simd !== undefined) {
    simd.scatterAdd(offset(b, dy), offset(b, argmax), sizeOf(dy.shape), offset(b, dx), sizeOf(dx.shape));
    return dx;
  }
  const D = view(b, dy), A = int32View(b, argmax), X = view(b, dx);
  X.fill(0);
  for (let i = 0; i < D.length; i++) X[A[i]!] = X[A[i]!]! + D[i]!;
  return dx;
}

/** The kernels, by kernel name. */
export const CNN_KERNELS: Record<string, NativeKernel> = {
  [FUSED.batchNormForward]: batchNormForward,
  [FUSED.batchNormBackward]: batchNormBackward,
  [FUSED.maxPoolArgmax]: maxPoolArgmax,
  [FUSED.maxPoolArgmaxGrad]: maxPoolArgmaxGrad,
};
