// Private: the fused kernels of `fused/names.ts` other than the optimizer updates: ReLU's backward and the
// finiteness check in SIMD (native/wasm/kernels.wat), softmax cross-entropy in one pass over the rows.
import { FUSED } from "../fused/names.ts";
import { type KernelArgs, type NativeKernel, offset, sizeOf, type TensorInfo, view } from "./_heap.ts";
import { requireSimd } from "./_simd.ts";
import { CNN_KERNELS } from "./kernels_cnn.ts";

const simd = (args: KernelArgs) => requireSimd(args.backend);

function reluGrad(args: KernelArgs): TensorInfo {
  const { dy, y } = args.inputs as { dy: TensorInfo; y: TensorInfo };
  const out = args.backend.makeOutput(dy.shape, "float32");
  const b = args.backend;
  simd(args).reluGrad(offset(b, dy), offset(b, y), offset(b, out), sizeOf(dy.shape));
  return out;
}

function nonFinite(args: KernelArgs): TensorInfo {
  const kernels = simd(args), b = args.backend;
  let total = 0;
  for (const t of Object.values(args.inputs)) {
    if (t !== undefined && t.dtype === "float32") total += kernels.nonFinite(offset(b, t), sizeOf(t.shape));
  }
  const out = b.makeOutput([], "float32");
  view(b, out)[0] = total;
  return out;
}

// log softmax row by row (max-shifted), in float64, rounded to float32 at the end like the outputs.
function softmaxCrossEntropy(args: KernelArgs): TensorInfo[] {
  const { logits, labels } = args.inputs as { logits: TensorInfo; labels: TensorInfo };
  const [rows, classes] = logits.shape as [number, number];
  const b = args.backend;
  const loss = b.makeOutput([], "float32"), gradient = b.makeOutput([rows, classes], "float32");
  const z = view(b, logits), y = view(b, labels), g = view(b, gradient);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const at = r * classes;
    let max = -Infinity;
    for (let k = 0; k < classes; k++) max = Math.max(max, z[at + k]!);
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.exp(z[at + k]! - max);
    const logSum = Math.log(sum);
    for (let k = 0; k < classes; k++) {
      const logP = z[at + k]! - max - logSum;
      total -= y[at + k]! * logP;
      g[at + k] = (Math.exp(logP) - y[at + k]!) / rows;
    }
  }
  view(b, loss)[0] = total / rows;
  return [loss, gradient];
}

function l2Regression(args: KernelArgs): TensorInfo[] {
  const { prediction, target } = args.inputs as { prediction: TensorInfo; target: TensorInfo };
  const b = args.backend, batch = prediction.shape[0]!;
  const loss = b.makeOutput([], "float32"), gradient = b.makeOutput(prediction.shape, "float32");
  const sum = simd(args).l2Regression(
    offset(b, prediction),
    offset(b, target),
    offset(b, gradient),
    sizeOf(prediction.shape),
    args.attrs.targetScale as number,
    2 / batch,
  );
  view(b, loss)[0] = sum / batch;
  return [loss, gradient];
}

/** The kernels, by kernel name. */
export const FUSED_KERNELS: Record<string, NativeKernel> = {
  [FUSED.reluGrad]: reluGrad,
  [FUSED.nonFinite]: nonFinite,
  [FUSED.softmaxCrossEntropy]: softmaxCrossEntropy,
  [FUSED.l2Regression]: l2Regression,
  ...CNN_KERNELS, // batch norm and max pooling: native/kernels_cnn.ts
};
