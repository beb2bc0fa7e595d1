// Does the partition's cost model (multiply-adds per layer, parallel/partition.ts) cut a network where measured
// times would? Each example spec's modules are timed on this backend (one thread, the simulator's profileModules,
// 30 batches of 128 after 5 of warm-up, synthetic MNIST-shaped data), the stages of 2, 3 and 4 Workers are chosen
// from those times, and set beside planStages' choice. The measurement behind docs/parallel.md's "How stages are cut".
//   deno run --allow-read --allow-env --allow-ffi --allow-run=cat bench/partition_check.ts [spec names...]
import { batches, buildNetwork, setBlasThreads, syntheticDataset, useBackend } from "../mod.ts";
import { profileModules } from "../parallel/simulate/profile_modules.ts";
import { layerCosts, partition, planStages } from "../parallel/partition.ts";

const backend = await useBackend(Deno.env.get("DNI_BACKEND") ?? "native");
setBlasThreads(1);
const names = Deno.args.length > 0 ? Deno.args : ["fcn3_sg", "fcn3_local_loss", "fcn4_csg_bn", "fcn6_sg_bn"];
const data = syntheticDataset({ features: 784, classes: 10, trainCount: 128 * 40, testCount: 8 });
const share = (xs: number[]) => {
  const total = xs.reduce((a, b) => a + b, 0);
  return xs.map((x) => `${(100 * x / total).toFixed(0)}%`).join(" ");
};
let same = 0, cases = 0;
console.log(`backend ${backend}; per spec: modules' measured ms per batch, and the stages each way`);
for (const name of names) {
  const spec = JSON.parse(await Deno.readTextFile(new URL(`../examples/${name}.json`, import.meta.url)));
  const net = buildNetwork(spec);
  const profile = profileModules(net, batches(data.train, 784, 128, 0), { warmup: 5 });
  const ms = profile.modules.map((m) => m.inMs + m.forwardMs + m.outMs);
  const macs = layerCosts(net);
  const moduleMacs = profile.modules.map((m) => macs.slice(m.lo, m.hi + 1).reduce((a, b) => a + b, 0));
  console.log(
    `${name}: ${ms.map((x) => x.toFixed(2)).join(" ")} ms; share measured ${share(ms)}, by multiply-adds ${
      share(moduleMacs)
    }`,
  );
  for (let n = 2; n <= Math.min(4, profile.modules.length); n++) {
    const cuts = profile.modules.slice(0, -1).map((_, i) => i);
    const measured = partition(ms, cuts, n).map((s) => `${profile.modules[s.lo]!.lo}-${profile.modules[s.hi]!.hi}`);
    const planned = planStages(net, n).map((s) => `${s.lo}-${s.hi}`);
    const agree = measured.join() === planned.join();
    same += agree ? 1 : 0, cases++;
    console.log(
      `  ${n} stages: by measured times ${measured.join(", ")}; planStages ${planned.join(", ")}${
        agree ? "" : "  <- differ"
      }`,
    );
  }
  net.dispose();
}
console.log(`planStages chose the measured times' stages in ${same} of ${cases} cases`);
