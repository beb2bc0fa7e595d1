// Private: the fused LSTM kernels of `fused/names.ts` (FUSED.lstmForward, FUSED.lstmBackward) on BLAS. Forward over
// a window: the input projection of all steps as one sgemm [B*T, F] x [F, 4U] into the gates (bias written first),
// then per step one sgemm h_{t-1} [B, U] x [U, 4U] accumulated into that step's rows of the gates, and one pass over
// the step's [B, 4U] gates for the nonlinearities and the cell and hidden update. Backward the same way in reverse:
// per step one pass for the gate gradients and one sgemm for dh_{t-1}; the weight gradients of all steps at the end
// as one sgemm each (Wx, Wh, dx), the bias gradient as one sgemv. Everything is [B, T, ...] (row b * T + t), so a
// step's rows are strided views (leading dimension T * width) and the window's rows are one matrix.
import type { Blas } from "./blas.ts";
import { FUSED } from "../fused/names.ts";
import { floatOffset, heapFloats, type KernelArgs, type NativeKernel, onHeap, type TensorInfo } from "./_heap.ts";
import { LSTM_WASM_BASE64 } from "./wasm/lstm_wasm.ts";

// The SIMD passes of native/wasm/lstm.wat (byte offsets and strides; U a multiple of 4).
interface LstmSimd {
  forwardStep(...args: number[]): void;
  backwardStep(...args: number[]): void;
}
const lstmSimd = onHeap<LstmSimd>(LSTM_WASM_BASE64);

const heap = heapFloats, at = floatOffset;

function forward(blas: Blas, args: KernelArgs): TensorInfo[] {
  const { x, kernel, recurrentKernel, bias, h0, c0 } = args.inputs as Record<string, TensorInfo>;
  const [B, T, F] = x!.shape as [number, number, number];
  const U = h0!.shape[1]!, G = 4 * U;
  const b = args.backend;
  const output = b.makeOutput([B, T, U], "float32");
  const hT = b.makeOutput([B, U], "float32"), cT = b.makeOutput([B, U], "float32");
  const gates = b.makeOutput([B, T, G], "float32");
  const hPrev = b.makeOutput([B, T, U], "float32"), cPrev = b.makeOutput([B, T, U], "float32");
  const tanhC = b.makeOutput([B, T, U], "float32");
  // Views after the last allocation (an allocation may grow the heap).
  const H = heap(b);
  const pX = at(b, x!), pW = at(b, kernel!), pR = at(b, recurrentKernel!), pB = at(b, bias!);
  const pH0 = at(b, h0!), pC0 = at(b, c0!), pOut = at(b, output), pHT = at(b, hT), pCT = at(b, cT);
  const pZ = at(b, gates), pHP = at(b, hPrev), pCP = at(b, cPrev), pTC = at(b, tanhC);
  const Z = H.subarray(pZ, pZ + B * T * G);
  const biasValues = H.subarray(pB, pB + G);
  for (let row = 0; row < B * T; row++) Z.set(biasValues, row * G);
  blas.sgemm(false, false, B * T, G, F, 1, H.subarray(pX), F, H.subarray(pW), G, 1, Z, G);
  for (let s = 0; s < B; s++) {
    H.copyWithin(pHP + s * T * U, pH0 + s * U, pH0 + (s + 1) * U);
    H.copyWithin(pCP + s * T * U, pC0 + s * U, pC0 + (s + 1) * U);
  }
  const recurrent = H.subarray(pR);
  const simd = U % 4 === 0 ? lstmSimd(b) : undefined;
  const zeroInitial = Boolean(args.attrs.zeroInitial); // h0 = 0: the first step has no recurrent product
  for (let t = 0; t < T; t++) {
    if (t > 0 || !zeroInitial) {
      blas.sgemm(
        false,
        false,
        B,
        G,
        U,
        1,
        H.subarray(pHP + t * U),
        T * U,
        recurrent,
        G,
        1,
        H.subarray(pZ + t * G),
        T * G,
      );
    }
    const last = t === T - 1;
    if (simd !== undefined) {
      const [hn, cn, ns] = last ? [pHT, pCT, U] : [pHP + (t + 1) * U, pCP + (t + 1) * U, T * U];
      const u = t * U, zs = 4 * T * G, us = 4 * T * U;
      simd.forwardStep(
        4 * (pZ + t * G),
        4 * (pCP + u),
        4 * (pTC + u),
        4 * (pOut + u),
        4 * hn,
        4 * cn,
        B,
        U,
        zs,
        us,
        4 * ns,
      );
      continue;
    }
    for (let s = 0; s < B; s++) {
      const z = pZ + (s * T + t) * G, u0 = (s * T + t) * U;
      const cp = pCP + u0, tc = pTC + u0, out = pOut + u0;
      const hn = last ? pHT + s * U : pHP + u0 + U, cn = last ? pCT + s * U : pCP + u0 + U;
      for (let u = 0; u < U; u++) {
        const i = 1 / (1 + Math.exp(-H[z + u]!));
        const f = 1 / (1 + Math.exp(-H[z + U + u]!));
        const g = Math.tanh(H[z + 2 * U + u]!);
        const o = 1 / (1 + Math.exp(-H[z + 3 * U + u]!));
        H[z + u] = i, H[z + U + u] = f, H[z + 2 * U + u] = g, H[z + 3 * U + u] = o;
        // Rounded to float32 at each step, as the composite ops round.
        const c = Math.fround(Math.fround(H[z + U + u]! * H[cp + u]!) + Math.fround(H[z + u]! * H[z + 2 * U + u]!));
        H[cn + u] = c;
        const th = Math.tanh(c);
        H[tc + u] = th;
        const h = H[z + 3 * U + u]! * H[tc + u]!;
        H[out + u] = h;
        H[hn + u] = h;
      }
    }
  }
  return [output, hT, cT, gates, hPrev, cPrev, tanhC];
}

function backward(blas: Blas, args: KernelArgs): TensorInfo[] {
  const { x, kernel, recurrentKernel, gates, hPrev, cPrev, tanhC, dy, dhT, dcT } = args.inputs as Record<
    string,
    TensorInfo
  >;
  const needInputGradient = Boolean(args.attrs.needInputGradient);
  const [B, T, F] = x!.shape as [number, number, number];
  const U = dhT!.shape[1]!, G = 4 * U;
  const b = args.backend;
  const dW = b.makeOutput([F, G], "float32"), dR = b.makeOutput([U, G], "float32");
  const db = b.makeOutput([G], "float32");
  const dh0 = b.makeOutput([B, U], "float32"), dc0 = b.makeOutput([B, U], "float32");
  const dx = needInputGradient ? b.makeOutput([B, T, F], "float32") : undefined;
  const dZ = b.makeOutput([B, T, G], "float32");
  const ones = b.makeOutput([B * T], "float32");
  try {
    const H = heap(b);
    const pZ = at(b, gates!), pHP = at(b, hPrev!), pCP = at(b, cPrev!), pTC = at(b, tanhC!), pDy = at(b, dy!);
    const pDh = at(b, dh0), pDc = at(b, dc0), pDZ = at(b, dZ), pR = at(b, recurrentKernel!);
    // dh0 and dc0 hold dh_t and dc_t as the steps go back; they start as the final state's gradient.
    H.copyWithin(pDh, at(b, dhT!), at(b, dhT!) + B * U);
    H.copyWithin(pDc, at(b, dcT!), at(b, dcT!) + B * U);
    const recurrent = H.subarray(pR), dh = H.subarray(pDh, pDh + B * U);
    const simd = U % 4 === 0 ? lstmSimd(b) : undefined;
    for (let t = T - 1; t >= 0; t--) {
      const u = t * U, zs = 4 * T * G, us = 4 * T * U;
      simd?.backwardStep(
        4 * (pZ + t * G),
        4 * (pTC + u),
        4 * (pCP + u),
        4 * (pDy + u),
        4 * pDh,
        4 * pDc,
        4 * (pDZ + t * G),
        B,
        U,
        zs,
        us,
      );
      for (let s = 0; s < (simd === undefined ? B : 0); s++) {
        const z = pZ + (s * T + t) * G, d = pDZ + (s * T + t) * G, u0 = (s * T + t) * U;
        const tc = pTC + u0, cp = pCP + u0, y = pDy + u0, dhs = pDh + s * U, dcs = pDc + s * U;
        for (let u = 0; u < U; u++) {
          const i = H[z + u]!, f = H[z + U + u]!, g = H[z + 2 * U + u]!, o = H[z + 3 * U + u]!;
          const th = H[tc + u]!;
          const dhv = Math.fround(H[y + u]! + H[dhs + u]!);
          const dc = Math.fround(Math.fround(dhv * o) * (1 - th * th) + H[dcs + u]!);
          H[d + u] = (dc * g) * (i * (1 - i));
          H[d + U + u] = (dc * H[cp + u]!) * (f * (1 - f));
          H[d + 2 * U + u] = (dc * i) * (1 - g * g);
          H[d + 3 * U + u] = (dhv * th) * (o * (1 - o));
          H[dcs + u] = dc * f;
        }
      }
      // dh_{t-1} = dz_t R^T.
      blas.sgemm(false, true, B, U, G, 1, H.subarray(pDZ + t * G), T * G, recurrent, G, 0, dh, U);
    }
    const DZ = H.subarray(pDZ, pDZ + B * T * G);
    blas.sgemm(true, false, F, G, B * T, 1, H.subarray(at(b, x!)), F, DZ, G, 0, H.subarray(at(b, dW)), G);
    blas.sgemm(true, false, U, G, B * T, 1, H.subarray(pHP), U, DZ, G, 0, H.subarray(at(b, dR)), G);
    const pOnes = at(b, ones);
    H.fill(1, pOnes, pOnes + B * T);
    blas.sgemv(true, B * T, G, 1, DZ, G, H.subarray(pOnes, pOnes + B * T), 0, H.subarray(at(b, db), at(b, db) + G));
    if (dx !== undefined) {
      blas.sgemm(false, true, B * T, F, G, 1, DZ, G, H.subarray(at(b, kernel!)), G, 0, H.subarray(at(b, dx)), F);
    }
  } finally {
    b.disposeData(dZ.dataId, true);
    b.disposeData(ones.dataId, true);
  }
  return dx === undefined ? [dW, dR, db, dh0, dc0] : [dW, dR, db, dh0, dc0, dx];
}

/** The kernels, by kernel name, on `blas`. */
export function lstmKernels(blas: Blas): Record<string, NativeKernel> {
  return {
    [FUSED.lstmForward]: (args) => forward(blas, args),
    [FUSED.lstmBackward]: (args) => backward(blas, args),
  };
}
