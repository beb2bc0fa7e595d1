// One BLAS thread against two for the MNIST FCN-3 on the native backend: 6 backprop epochs (train(), 60,000 examples,
// batch 128) with each, alternating in one process; the median and range of each (docs/backends.md, "Threads").
//
//   deno run --allow-read --allow-env --allow-ffi --allow-run=cat bench/threads_epoch.ts
import { setBlasThreads, useBackend } from "../backend.ts";
import { loadDataset } from "../datasets/load.ts";
import { fcn3 } from "../bench/_models.ts";
import { train } from "../training/train.ts";
await useBackend("native");
const mnist = await loadDataset("mnist");
const net = fcn3("backprop");
// Warm up on 10 batches.
const warm = { count: 1280, x: mnist.train.x.subarray(0, 1280 * 784), labels: mnist.train.labels.subarray(0, 1280) };
await train(net, { ...mnist, train: warm }, { epochs: 1, validate: false, probeSize: 0 });
const res: Record<number, number[]> = { 1: [], 2: [] };
for (let r = 0; r < 6; r++) {
  for (const t of r % 2 ? [1, 2] : [2, 1]) {
    setBlasThreads(t);
    const h = await train(net, mnist, { epochs: 1, seed: r, validate: false, probeSize: 0 });
    res[t]!.push(h.epochs[0]!.seconds);
  }
}
for (const t of [1, 2]) {
  const v = res[t]!.sort((a, b) => a - b);
  console.log(`${t} thread(s): median ${v[3]!.toFixed(2)} s, range ${v[0]!.toFixed(2)}-${v[5]!.toFixed(2)} s`);
}
net.dispose();
