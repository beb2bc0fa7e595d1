// Private: the fused update kernels of `fused/names.ts`, one SIMD pass over the wasm heap per variable
// (native/wasm/kernels.wat). The kernels apply the composite rule's float32 operations in its order, so both give
// the same values.
import { FUSED } from "../fused/names.ts";
import { type KernelArgs, type NativeKernel, offset, sizeOf, type TensorInfo } from "./_heap.ts";
import { requireSimd, type SimdKernels } from "./_simd.ts";

type Run = (simd: SimdKernels, pointers: number[], n: number, attrs: Record<string, unknown>) => void;

// Allocates the outputs `[variable, ...slots]`, then runs the kernel on the pointers `[ins..., outs...]`.
function fused(slotNames: string[], run: Run): NativeKernel {
  return (args: KernelArgs) => {
    const { backend, inputs } = args;
    const simd = requireSimd(backend);
    const ins = ["variable", "gradient", ...slotNames].map((name) => inputs[name]!);
    const outs: TensorInfo[] = [ins[0]!, ...ins.slice(2)].map((t) => backend.makeOutput(t.shape, "float32"));
    run(simd, [...ins, ...outs].map((t) => offset(backend, t)), sizeOf(ins[0]!.shape), args.attrs);
    return outs;
  };
}

const num = (x: unknown) => x as number;

/** The fused update kernels, by kernel name. */
export const OPTIMIZER_KERNELS: Record<string, NativeKernel> = {
  [FUSED.sgd]: fused([], (k, [v, g, v1], n, a) => k.sgd(v!, g!, v1!, n, num(a.learningRate))),
  [FUSED.momentum]: fused(
    ["accumulation"],
    (k, p, n, a) => k.momentum(...p, n, num(a.learningRate), num(a.momentum), a.nesterov ? 1 : 0),
  ),
  [FUSED.adam]: fused(["m", "v"], (k, p, n, a) => {
    const b1 = num(a.beta1), b2 = num(a.beta2);
    k.adam(...p, n, b1, b2, 1 - b1, 1 - b2, num(a.stepSize), num(a.c2), num(a.epsilon));
  }),
  [FUSED.rmsprop]: fused(["meanSquare", "momentum"], (k, p, n, a) => {
    const d = num(a.decay), mu = num(a.momentum);
    k.rmsprop(...p, n, num(a.learningRate), d, 1 - d, mu, num(a.epsilon), mu > 0 ? 1 : 0);
  }),
};
