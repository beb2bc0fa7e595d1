// Private: the im2col and col2im of native/wasm/conv.wat, instantiated on the heap of the wasm backend they serve
// (one instance per heap), as native/_simd.ts does for the other SIMD kernels. Pointers are byte offsets.
import { CONV_WASM_BASE64 } from "./wasm/conv_wasm.ts";
import { onHeap, type WasmBackend } from "./_heap.ts";

/**
 * One pass over output lines [line0, line1) of a convolution: `x` the image [B, inH, inW, inC], `p` the patches
 * (rows of kh * kw * inC values, one per output pixel); see conv.wat.
 */
export type PatchPass = (
  x: number,
  p: number,
  inH: number,
  inW: number,
  inC: number,
  outH: number,
  outW: number,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  top: number,
  left: number,
  line0: number,
  line1: number,
) => void;

/** The exported functions of conv.wat. */
export interface ConvSimd {
  /** Writes the patches, a window row (kw * inC contiguous values) at a time: for several channels. */
  im2colRows: PatchPass;
  /** Writes the patches, a patch column at a time along each output line: for one or two channels. */
  im2colColumns: PatchPass;
  /** Adds the patches back into the image (which it does not clear first). */
  col2im: PatchPass;
}

/** The functions working on `backend`'s heap, or `undefined` when its memory cannot be imported (a shared heap). */
export const convSimd: (backend: WasmBackend) => ConvSimd | undefined = onHeap<ConvSimd>(CONV_WASM_BASE64);
