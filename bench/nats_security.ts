/**
 * What sealing a run's messages costs over NATS, side by side in one run: the same message (a batch's activations
 * of MNIST FCN-3, 128 x 256 float32 = 128 KiB, and a larger one) sent from one connection to another through the
 * server, "plain" (the body unsealed, as before run keys; no run sends so now), "authenticated" (HMAC-SHA256,
 * `--no-encrypt`) and "encrypted" (AES-256-GCM, the default), the modes interleaved round by round. Then, unless
 * `--no-train`, the same training run over 2 local stage processes authenticated and encrypted, alternating, in ms
 * per batch.
 *
 * ```sh
 * nats-server -a 127.0.0.1 -p 4222 &
 * deno run --allow-read --allow-env --allow-net --allow-ffi --allow-run --allow-sys bench/nats_security.ts \
 *   --nats nats://127.0.0.1:4222 --rounds 3
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { natsLink } from "./_link_costs.ts";
import { loadAverages, median } from "./_stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    nats: { type: "string", default: "nats://127.0.0.1:4222" },
    rounds: { type: "string", default: "3" },
    "no-train": { type: "boolean" },
    "train-count": { type: "string", default: "12800" },
  },
});
const rounds = Number(values.rounds);
const modes = ["plain", "authenticated", "encrypted"] as const;
console.log(`load averages before: ${loadAverages()}`);
for (const bytes of [128 * 1024, 512 * 1024]) {
  const latency: Record<string, number[]> = {}, post: Record<string, number[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (const mode of modes) {
      const l = await natsLink(values.nats, bytes, undefined, 100, 3, mode);
      (latency[mode] ??= []).push(l.latencyMs);
      (post[mode] ??= []).push(l.postMs);
    }
  }
  console.log(`\n${bytes / 1024} KiB message, ${rounds} rounds of 100 messages each (median of each round):`);
  console.log(
    "| mode | one-way ms (rounds) | median | sender's ms before it goes on (encode; sealing runs after, in the one-way time) |",
  );
  console.log("|---|---|---|---|");
  for (const mode of modes) {
    const ls = latency[mode]!, ps = post[mode]!;
    console.log(
      `| ${mode} | ${ls.map((x) => x.toFixed(3)).join(", ")} | ${median(ls).toFixed(3)} | ${median(ps).toFixed(3)} |`,
    );
  }
}

if (!values["no-train"]) {
  // The same run, authenticated and encrypted, alternating: ms per batch of epoch 2 from the history.
  const root = new URL("../", import.meta.url).pathname;
  const perBatch: Record<string, number[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (const encrypt of [false, true]) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          `${root}cli.ts`,
          "train",
          "--spec",
          `${root}examples/fcn3_csg.json`,
          "--epochs",
          "2",
          "--train-count",
          values["train-count"],
          "--test-count",
          "1000",
          "--staleness",
          "1",
          "--nats",
          values.nats,
          "--run",
          `bench-${r}-${encrypt}`,
          "--stages",
          "2",
          "--spawn",
          "--json",
          ...(encrypt ? [] : ["--no-encrypt"]),
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
      if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
      const result = JSON.parse(text);
      const epoch = result.epochs.at(-1);
      const batches = Math.ceil(Number(values["train-count"]) / 128);
      const ms = (epoch.seconds * 1000) / batches;
      (perBatch[encrypt ? "encrypted" : "authenticated"] ??= []).push(ms);
    }
  }
  console.log(`\nMNIST FCN-3 csg, ${values["train-count"]} examples, batch 128, 2 local stage processes, epoch 2:`);
  console.log("| mode | ms per batch (rounds) | median |");
  console.log("|---|---|---|");
  for (const [mode, ms] of Object.entries(perBatch)) {
    console.log(`| ${mode} | ${ms.map((x) => x.toFixed(2)).join(", ")} | ${median(ms).toFixed(2)} |`);
  }
}
console.log(`\nload averages after: ${loadAverages()}`);
