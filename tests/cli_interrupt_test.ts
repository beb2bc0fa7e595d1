// `train --save` stopped by Ctrl-C (SIGINT) or SIGTERM, as a user meets it: a child process of the CLI, sent the
// signal during epoch 3 of 20. It stops within 10 s with status 130 (143), says where it stopped and what it saved;
// the checkpoint evaluates, and `train --load` to 20 epochs ends with exactly the uninterrupted run's test loss (one
// BLAS thread). With Workers it loses at most the epoch in flight; a second Ctrl-C exits at once; a run killed with
// SIGKILL leaves the checkpoint of its last completed save.
import assert from "node:assert/strict";
import { main } from "../cli.ts";
import { natsServer, needsNats } from "./_nats_fixture.ts";

const root = new URL("..", import.meta.url).pathname;
const spec = new URL("../examples/fcn3_csg.json", import.meta.url).pathname;
// 12 batches an epoch.
const small = ["--train-count", "1500", "--test-count", "300", "--threads", "1"];

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "", err = "";
  const code = await main(args, { out: (s) => out += s, err: (s) => err += s, live: false });
  return { code, out, err };
}
const lastJson = (out: string) => JSON.parse(out.trim().split("\n").pop()!);

/** A `train` child process; `signal` is sent (`times` times) once its output has `when`. */
async function interrupted(
  args: string[],
  when: RegExp,
  signal: "SIGINT" | "SIGTERM" | "SIGKILL",
  times = 1,
  delayMs = 0,
): Promise<{ code: number; output: string; ms: number }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli.ts", "train", ...args],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  let sent = 0;
  const decoder = new TextDecoder();
  const read = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      output += decoder.decode(chunk);
      if (sent === 0 && when.test(output)) {
        sent = performance.now();
        setTimeout(() => {
          for (let k = 0; k < times; k++) child.kill(signal);
        }, delayMs);
      }
    }
  };
  await Promise.all([read(child.stdout), read(child.stderr)]);
  const { code } = await child.status;
  assert.ok(sent > 0, `the signal was never sent; output:\n${output}`);
  return { code, output, ms: performance.now() - sent };
}

Deno.test("Ctrl-C in epoch 3 of 20 saves where it stopped, exits 130 at once, and train --load finishes exactly as the uninterrupted run", async () => {
  const dir = `${await Deno.makeTempDir()}/ckpt`;
  const stopped = await interrupted(
    ["--spec", spec, "--epochs", "20", ...small, "--save", dir],
    /^epoch 2\/20 /m,
    "SIGINT",
  );
  assert.equal(stopped.code, 130, stopped.output);
  assert.ok(stopped.ms < 10_000, `stopped in ${stopped.ms} ms`);
  const line = /^interrupted at epoch 3, batch (\d+): saved (\S+)$/m.exec(stopped.output);
  assert.ok(line, stopped.output);
  assert.equal(line[2], dir);
  const batch = Number(line[1]);
  const manifest = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
  assert.equal(manifest.epochs, 2);
  assert.equal(manifest.position?.batch, batch > 0 ? batch : undefined);
  assert.equal(manifest.steps, 24 + batch);

  const evaluated = await run(["evaluate", "--load", dir, "--test-count", "300"]);
  assert.equal(evaluated.code, 0, evaluated.err);
  if (batch > 0) {
    assert.match(evaluated.out, new RegExp(`steps, saved inside epoch 3 after batch ${batch}\\) on mnist`));
  }

  const rest = await run(["train", "--load", dir, "--epochs", "18", ...small, "--json"]);
  assert.equal(rest.code, 0, rest.err);
  const where = batch > 0 ? `inside epoch 3, after batch ${batch} ` : "after epoch 2 ";
  assert.match(rest.err, new RegExp(`^resuming checkpoint \\S+ ${where}`, "m"));
  const whole = await run(["train", "--spec", spec, "--epochs", "20", ...small, "--json"]);
  assert.equal(whole.code, 0, whole.err);
  const [a, b] = [lastJson(rest.out), lastJson(whole.out)];
  assert.deepEqual(a.epochs.map((e: { epoch: number }) => e.epoch), Array.from({ length: 18 }, (_, i) => i + 3));
  assert.equal(a.testLoss, b.testLoss, "the same test loss after 20 epochs");
  assert.deepEqual(
    a.epochs.map((e: { loss: number }) => e.loss),
    b.epochs.slice(2).map((e: { loss: number }) => e.loss),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("SIGTERM with Workers gathers their state, saves inside the epoch in flight and exits 143; train --load --workers 2 goes on", async () => {
  const dir = `${await Deno.makeTempDir()}/ckpt`;
  const args = ["--spec", spec, "--epochs", "20", ...small, "--workers", "2", "--save", dir];
  const stopped = await interrupted(args, /^epoch 2\/20 /m, "SIGTERM");
  assert.equal(stopped.code, 143, stopped.output);
  assert.ok(stopped.ms < 10_000, `stopped in ${stopped.ms} ms`);
  const line = /^interrupted at epoch (\d+), batch (\d+): saved \S+$/m.exec(stopped.output);
  assert.ok(line, stopped.output);
  const manifest = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
  // At most the epoch in flight is lost: the checkpoint is where the Workers stopped, optimizer state and all.
  assert.equal(manifest.epochs, Number(line[1]) - 1);
  assert.ok(manifest.epochs >= 2, JSON.stringify(manifest.position));
  assert.ok(manifest.optimizerState.counters["interfaces[0].synthesizer.optimizer.steps"] > 0);
  const rest = await run(["train", "--load", dir, "--epochs", "1", ...small, "--workers", "2", "--json"]);
  assert.equal(rest.code, 0, rest.err);
  assert.deepEqual(lastJson(rest.out).epochs.map((e: { epoch: number }) => e.epoch), [manifest.epochs + 1]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a second Ctrl-C exits at once with 130, and a run killed with SIGKILL keeps its last complete checkpoint", async () => {
  const dir = `${await Deno.makeTempDir()}/ckpt`;
  const args = ["--spec", spec, "--epochs", "20", ...small, "--save", dir];
  const twice = await interrupted(args, /^epoch 2\/20 /m, "SIGINT", 2);
  assert.equal(twice.code, 130, twice.output);
  // Whether the second came before the save or after it, DIR holds a whole checkpoint: epoch 2's or the one of
  // where the run stopped.
  const checkpoint = await run(["evaluate", "--load", dir, "--test-count", "300"]);
  assert.equal(checkpoint.code, 0, checkpoint.err);

  // SIGKILL (no handler can run) while the run saves after every epoch: what is there loads, whole.
  const killed = await interrupted(args, /^epoch 4\/20 /m, "SIGKILL");
  assert.equal(killed.code, 137, killed.output);
  const manifest = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
  assert.ok(manifest.epochs >= 3 && manifest.epochs <= 5, `epochs ${manifest.epochs}`);
  const after = await run(["train", "--load", dir, "--epochs", "1", ...small, "--save", dir]);
  assert.equal(after.code, 0, after.err);
  const siblings: string[] = [];
  for await (const e of Deno.readDir(`${dir}/..`)) siblings.push(e.name);
  assert.deepEqual(siblings, ["ckpt"], "what the killed save left beside it is cleaned by the next save");
  await Deno.remove(`${dir}/..`, { recursive: true });
});

Deno.test("--save-every N saves inside epochs, at multiples of N; it needs --save", async () => {
  const dir = `${await Deno.makeTempDir()}/ckpt`;
  // Killed some batches into epoch 2: the checkpoint is epoch 1's end or a save every 4 steps inside epoch 2.
  const stopped = await interrupted(
    ["--spec", spec, "--epochs", "20", ...small, "--save", dir, "--save-every", "4"],
    /^epoch 1\/20 /m,
    "SIGKILL",
    1,
    400,
  );
  assert.equal(stopped.code, 137);
  const manifest = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
  const at = manifest.epochs * 12 + (manifest.position?.batch ?? 0);
  assert.equal(at % 4, 0, `saved at step ${at}`);
  assert.equal(manifest.steps, at);
  const r = await run(["train", "--spec", spec, "--epochs", "1", ...small, "--save-every", "5"]);
  assert.equal(r.code, 2);
  assert.match(r.err, /^error: --save-every 5 saves a checkpoint every 5 steps: it needs --save DIR$/m);
  await Deno.remove(`${dir}/..`, { recursive: true });
});

const nats = needsNats("tests/cli_interrupt_test.ts");

Deno.test({
  name: "Ctrl-C over NATS: the coordinator gathers the stage processes' state, saves, exits 130; --load --nats goes on",
  ignore: nats.ignore,
  fn: async () => {
    nats.check();
    const server = await natsServer();
    const dir = `${await Deno.makeTempDir()}/ckpt`;
    try {
      const url = `nats://127.0.0.1:${server.port}`;
      const over = (run: string) => ["--nats", url, "--run", run, "--spawn", "--staleness", "0"];
      const args = ["--spec", spec, "--epochs", "20", ...small, ...over("stopped"), "--save", dir];
      const stopped = await interrupted(args, /^epoch 2\/20 /m, "SIGINT", 1, 150);
      assert.equal(stopped.code, 130, stopped.output);
      assert.ok(stopped.ms < 10_000, `stopped in ${stopped.ms} ms`);
      const line = /^interrupted at epoch (\d+), batch (\d+): saved \S+$/m.exec(stopped.output);
      assert.ok(line, stopped.output);
      const manifest = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
      assert.equal(manifest.epochs, Number(line[1]) - 1);
      assert.equal(manifest.steps, manifest.epochs * 12 + Number(line[2]));
      assert.equal(manifest.optimizerState.counters["layers[3].optimizer.steps"], manifest.steps);
      const rest = await run(["train", "--load", dir, "--epochs", "1", ...small, ...over("rest"), "--json"]);
      assert.equal(rest.code, 0, rest.err);
      assert.deepEqual(lastJson(rest.out).epochs.map((e: { epoch: number }) => e.epoch), [manifest.epochs + 1]);
    } finally {
      await server.stop();
      await Deno.remove(`${dir}/..`, { recursive: true }).catch(() => {});
    }
  },
});
