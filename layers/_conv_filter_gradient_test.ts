import { tf } from "../deps.ts";
import { assertClose } from "../tests/_helpers.ts";
import { axisWindow, type Padding } from "./_window.ts";
import { conv2dFilterGradient, type FilterGradientMethod } from "./_conv_filter_gradient.ts";

const CASES: [shape: [number, number, number, number], kernel: [number, number], strides: number, Padding][] = [
  [[2, 6, 6, 1], [3, 3], 1, "same"],
  [[2, 7, 6, 5], [3, 3], 2, "valid"],
  [[2, 7, 7, 4], [2, 2], 2, "same"],
  [[3, 5, 8, 2], [2, 3], 1, "same"],
  [[2, 9, 7, 3], [4, 2], 3, "valid"],
  [[2, 8, 8, 8], [5, 5], 1, "same"],
];

for (const [shape, [kh, kw], s, padding] of CASES) {
  Deno.test(`conv2dFilterGradient() matches TF.js autodiff on cpu: x ${shape}, ${kh}x${kw}, stride ${s}, ${padding}`, async () => {
    const x = tf.randomUniform(shape, -1, 1, "float32", 1) as tf.Tensor4D;
    const kernel = tf.randomUniform([kh, kw, shape[3], 3], -1, 1, "float32", 2) as tf.Tensor4D;
    const rows = axisWindow(shape[1], kh, s, padding), cols = axisWindow(shape[2], kw, s, padding);
    const dy = tf.randomUniform([shape[0], rows.out, cols.out, 3], -1, 1, "float32", 3) as tf.Tensor4D;
    const pad: [[number, number], [number, number]] = [[rows.before, rows.after], [cols.before, cols.after]];
    // The backend's own kernel where it has one (native, cpu; not wasm).
    const hasKernel = tf.getKernel("Conv2DBackpropFilter", tf.getBackend()) !== undefined;
    const methods: FilterGradientMethod[] = ["im2col", "swapped", "auto", ...(hasKernel ? ["kernel" as const] : [])];
    const results = methods.map((method) => {
      const g = conv2dFilterGradient(x, dy, [kh, kw], [s, s], pad, method);
      const data = g.dataSync();
      g.dispose();
      return data;
    });
    const before = tf.getBackend();
    await tf.setBackend("cpu"); // wasm has no Conv2DBackpropFilter kernel
    try {
      const ref = tf.tidy(() =>
        tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, w as tf.Tensor4D, s, padding), dy)))(kernel).dataSync()
      );
      results.forEach((r, i) => assertClose(r, ref, { atol: 1e-4, rtol: 1e-4, what: methods[i] }));
    } finally {
      await tf.setBackend(before);
    }
    tf.dispose([x, kernel, dy]);
  });
}
