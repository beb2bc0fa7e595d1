// Where the MNIST CNN's training step spends its time, by kernel: tf.profile over a few steps of
// examples/cnn_backprop.json (batch 128) on the active backend, wall ms per step per kernel name, largest first.
//   deno run --allow-read --allow-env --allow-ffi bench/cnn_profile.ts [steps] [interface] [--shapes]
// (--shapes: one row per kernel and input shapes; DNI_CNN_KERNELS=0: without the conv-net kernels.)
import { tf } from "../deps.ts";
import { setBlasThreads, useBackend } from "../backend.ts";
import { cnn, cnnBatch } from "./_cnn_runner.ts";
import { setCnnKernels } from "../layers/_cnn_kernels.ts";

await useBackend(Deno.env.get("DNI_BACKEND") ?? "native");
setBlasThreads(1);
const steps = Number(Deno.args[0] ?? 10);
const iface = Deno.args.find((a, i) => i > 0 && !a.startsWith("--")) ?? "backprop";
const byShape = Deno.args.includes("--shapes");
if (Deno.env.get("DNI_CNN_KERNELS") === "0") setCnnKernels(false);
const net = cnn(iface);
const batch = cnnBatch();
for (let i = 0; i < 5; i++) net.trainStep(batch.x, batch.labels);
const t0 = performance.now();
for (let i = 0; i < steps; i++) net.trainStep(batch.x, batch.labels);
const wall = (performance.now() - t0) / steps;
const info = await tf.profile(() => {
  for (let i = 0; i < steps; i++) net.trainStep(batch.x, batch.labels);
});
const byName = new Map<string, { ms: number; calls: number }>();
for (const k of info.kernels) {
  const key = byShape ? `${k.name} ${k.inputShapes.map((s) => `[${s}]`).join(" ")}` : k.name;
  const e = byName.get(key) ?? { ms: 0, calls: 0 };
  e.ms += k.kernelTimeMs as number;
  e.calls++;
  byName.set(key, e);
}
const total = [...byName.values()].reduce((s, e) => s + e.ms, 0) / steps;
console.log(
  `${tf.getBackend()} ${iface}: ${wall.toFixed(2)} ms per step unprofiled (${
    (128000 / wall).toFixed(0)
  } samples/s); kernels ${total.toFixed(2)} ms, ${info.kernels.length / steps} kernel calls per step`,
);
for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(
    `${name.padEnd(byShape ? 60 : 24)} ${(e.ms / steps).toFixed(3).padStart(8)} ms  ${
      (e.calls / steps).toFixed(0).padStart(4)
    } calls`,
  );
}
net.dispose();
tf.dispose([batch.x, batch.labels]);
