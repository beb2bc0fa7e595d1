import assert from "node:assert/strict";
import { main } from "../cli.ts";
import { saveCheckpoint } from "../checkpoint/save.ts";
import { buildNetwork } from "../network/build.ts";
import { assertClose } from "./_helpers.ts";

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "", err = "";
  const code = await main(args, { out: (s) => out += s, err: (s) => err += s, live: false });
  return { code, out, err };
}

const example = new URL("../examples/fcn2_backprop.json", import.meta.url).pathname;
const small = ["--train-count", "500", "--test-count", "100"];
const lastJson = (out: string) => JSON.parse(out.trim().split("\n").pop()!);
const weights = async (dir: string) => new Float32Array((await Deno.readFile(`${dir}/weights.bin`)).buffer);
const manifest = async (dir: string) => JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));

Deno.test("cli train --load resumes a checkpoint: 1 epoch, saved, then 1 more equals 2 epochs, numbered 1 and 2", async () => {
  const root = await Deno.makeTempDir();
  // --seed 3: the resumed run must take the seed (of its data order) from the checkpoint.
  const whole = await run([
    "train",
    "--spec",
    example,
    "--epochs",
    "2",
    "--seed",
    "3",
    ...small,
    "--save",
    `${root}/whole`,
    "--json",
  ]);
  assert.equal(whole.code, 0, whole.err);
  const first = await run([
    "train",
    "--spec",
    example,
    "--epochs",
    "1",
    "--seed",
    "3",
    ...small,
    "--save",
    `${root}/ck`,
  ]);
  assert.equal(first.code, 0, first.err);
  assert.equal((await manifest(`${root}/ck`)).epochs, 1);
  // --save onto the checkpoint it resumed: replaced once the run is done.
  const rest = await run([
    "train",
    "--load",
    `${root}/ck`,
    "--epochs",
    "1",
    ...small,
    "--save",
    `${root}/ck`,
    "--json",
  ]);
  assert.equal(rest.code, 0, rest.err);
  assert.match(rest.err, new RegExp(`resuming checkpoint ${root}/ck after epoch 1 \\(4 steps\\)\n`));
  assert.match(rest.err, /epochs 2\.\.2, batch 128, seed 3,/);
  assert.match(rest.err, /\nepoch 2\/2 {2}loss /);
  const [w, r] = [lastJson(whole.out), lastJson(rest.out)];
  assert.deepEqual(r.epochs.map((e: { epoch: number }) => e.epoch), [2]);
  assert.deepEqual(r.resumed, { checkpoint: `${root}/ck`, epochs: 1, steps: 4 });
  assertClose([r.epochs[0].loss, r.testLoss], [w.epochs[1].loss, w.testLoss], { what: "epoch 2's loss, test loss" });
  const [saved, steady] = [await manifest(`${root}/ck`), await manifest(`${root}/whole`)];
  assert.deepEqual([saved.epochs, saved.steps], [2, 8]);
  assert.deepEqual([steady.epochs, steady.steps], [2, 8]);
  assertClose(await weights(`${root}/ck`), await weights(`${root}/whole`), { what: "weights and optimizer state" });
  // Plain output: the epoch lines are numbered on.
  const plain = await run(["train", "--load", `${root}/ck`, "--epochs", "2", ...small]);
  assert.equal(plain.code, 0, plain.err);
  assert.match(plain.out, /\nepoch 3\/4 .*\nepoch 4\/4 /s);
  await Deno.remove(root, { recursive: true });
});

Deno.test("cli train --load of a checkpoint that does not record its epochs counts them from 0, and says so", async () => {
  const root = await Deno.makeTempDir();
  const saved = await run(["train", "--spec", example, "--epochs", "1", ...small, "--save", `${root}/ck`]);
  assert.equal(saved.code, 0, saved.err);
  const m = await manifest(`${root}/ck`);
  delete m.epochs; // as an earlier dni wrote it
  await Deno.writeTextFile(`${root}/ck/manifest.json`, JSON.stringify(m));
  const r = await run(["train", "--load", `${root}/ck`, "--epochs", "1", ...small, "--json"]);
  assert.equal(r.code, 0, r.err);
  assert.match(
    r.err,
    /resuming checkpoint .*ck \(4 steps\); it does not record its epochs \(saved by an earlier dni\)/,
  );
  assert.deepEqual(lastJson(r.out).epochs.map((e: { epoch: number }) => e.epoch), [1]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("cli train --load refuses flags that cannot go with it, and a missing or unfit checkpoint, in one line", async () => {
  const root = await Deno.makeTempDir();
  const usage: [string[], RegExp][] = [
    [["train", "--load", ""], /^error: --load needs a checkpoint directory\n/],
    [
      ["train", "--load", root, "--spec", example],
      /^error: --load resumes the checkpoint's own network .*: leave out --spec/,
    ],
    [
      ["train", "--load", root, "--seed", "2"],
      /^error: --seed cannot go with --load: the resumed run shuffles with the seed/,
    ],
    [["train", "--lod", root], /^error: Unknown option "--lod" for "train" \(did you mean --load\?\)/],
    [["train"], /^error: train needs --spec FILE \(or --load DIR to resume a checkpoint\)\n/],
  ];
  for (const [args, pattern] of usage) {
    const { code, err } = await run(args);
    assert.equal(code, 2, args.join(" "));
    assert.match(err, pattern);
  }
  let r = await run(["train", "--load", `${root}/none`, ...small]);
  assert.equal(r.code, 1);
  assert.equal(r.err, `error: Checkpoint ${root}/none: does not exist\n`);
  r = await run(["train", "--load", root, ...small]);
  assert.equal(r.code, 1);
  assert.equal(r.err, `error: Checkpoint ${root}/manifest.json: is missing\n`);
  const net = buildNetwork({ input: [16], layers: [{ type: "dense", units: 10 }] });
  await saveCheckpoint(net, `${root}/narrow`);
  net.dispose();
  r = await run(["train", "--load", `${root}/narrow`, ...small]);
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /^error: Dataset "mnist" has 784 features and 10 classes; the network of checkpoint .*narrow takes 16 inputs and has 10 outputs\n$/,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("cli train --load of a plugin's checkpoint needs --plugin, and trains on with it", async () => {
  const root = await Deno.makeTempDir();
  const spec = new URL("../examples/plugins/fcn3_drtp.json", import.meta.url).pathname;
  const plugin = new URL("../examples/plugins/drtp.ts", import.meta.url).pathname;
  const saved = await run([
    "train",
    "--spec",
    spec,
    "--epochs",
    "1",
    ...small,
    "--plugin",
    plugin,
    "--save",
    `${root}/ck`,
  ]);
  assert.equal(saved.code, 0, saved.err);
  const without = await run(["train", "--load", `${root}/ck`, "--epochs", "1", ...small]);
  assert.equal(without.code, 1);
  // The checkpoint recorded the plugin module: the error names it and the flag that loads it.
  assert.match(
    without.err,
    /^error: Checkpoint .*ck\/spec\.json: cannot be built: .*not a known interface.*"drtp"; the checkpoint was saved with the plugin module (file:\/\/\S+\/drtp\.ts), not loaded here: pass --plugin \1 \(from code: .*\)\n$/,
  );
  const resumed = await run(["train", "--load", `${root}/ck`, "--epochs", "1", ...small, "--plugin", plugin, "--json"]);
  assert.equal(resumed.code, 0, resumed.err);
  assert.deepEqual(lastJson(resumed.out).epochs.map((e: { epoch: number }) => e.epoch), [2]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("cli train --load --workers 2 --staleness 0 goes on from a Workers' checkpoint: 1 + 1 epochs equal 2, and one thread's", async () => {
  const root = await Deno.makeTempDir();
  const csg = new URL("../examples/fcn3_csg.json", import.meta.url).pathname;
  const common = [...small, "--batch-size", "50", "--threads", "1", "--json"];
  const workers = ["--workers", "2", "--staleness", "0"];
  const train = async (args: string[]) => {
    const r = await run(["train", ...args, ...common]);
    assert.equal(r.code, 0, r.err);
    return r;
  };
  const whole = await train(["--spec", csg, "--epochs", "2", ...workers, "--save", `${root}/whole`]);
  const single = await train(["--spec", csg, "--epochs", "2", "--save", `${root}/single`]);
  await train(["--spec", csg, "--epochs", "1", ...workers, "--save", `${root}/ck`]);
  const rest = await train(["--load", `${root}/ck`, "--epochs", "1", ...workers, "--save", `${root}/ck`]);
  assert.match(rest.err, /^running: pipeline \(2 workers, staleness 0\)$/m);
  const [a, b, c] = [lastJson(whole.out), lastJson(rest.out), lastJson(single.out)];
  assert.deepEqual(b.epochs.map((e: { epoch: number }) => e.epoch), [2]);
  assert.equal(b.testLoss, a.testLoss);
  assert.equal(a.testLoss, c.testLoss);
  assert.deepEqual(await weights(`${root}/ck`), await weights(`${root}/whole`), "weights and optimizer state");
  assert.deepEqual(await weights(`${root}/whole`), await weights(`${root}/single`));
  assert.deepEqual((await manifest(`${root}/ck`)).optimizerState, (await manifest(`${root}/single`)).optimizerState);
  await Deno.remove(root, { recursive: true });
});
