import assert from "node:assert/strict";
import { main } from "../cli.ts";
import { saveCheckpoint } from "../checkpoint/save.ts";
import { buildNetwork } from "../network/build.ts";

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "", err = "";
  const code = await main(args, { out: (s) => out += s, err: (s) => err += s, live: false });
  return { code, out, err };
}

const example = new URL("../examples/fcn2_backprop.json", import.meta.url).pathname;

/** `train --spec SPEC --epochs E --train-count N` and more flags. */
function trainArgs(spec: string, epochs: number, trainCount: number, ...more: string[]): string[] {
  return ["train", "--spec", spec, "--epochs", String(epochs), "--train-count", String(trainCount), ...more];
}

async function specFile(text: string): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(path, text);
  return path;
}

Deno.test("cli train --json prints the result as the last line of stdout", async () => {
  const { code, out, err } = await run(trainArgs(example, 2, 2000, "--test-count", "500", "--json"));
  assert.equal(code, 0, err);
  const lines = out.trim().split("\n");
  const result = JSON.parse(lines[lines.length - 1]!);
  assert.ok(result.testAccuracy > 0.7 && result.testAccuracy <= 1, `testAccuracy ${result.testAccuracy}`);
  assert.ok(result.samplesPerSecond > 0);
  assert.equal(result.epochs.length, 2);
  for (const e of result.epochs) assert.ok(e.seconds > 0 && e.testAccuracy >= 0 && e.testAccuracy <= 1);
  assert.equal(result.dataset.train, 2000);
  assert.match(err, /epoch 2\/2/, "progress goes to stderr with --json");
});

Deno.test("cli train prints plain progress lines when not on a terminal", async () => {
  const { code, out } = await run(trainArgs(example, 1, 500, "--test-count", "100"));
  assert.equal(code, 0);
  assert.match(out, /epoch 1\/1 {2}loss \d+\.\d{4} {2}train acc [\d.]+% {2}test acc [\d.]+%/);
  assert.match(out, /test accuracy [\d.]+%/);
  assert.doesNotMatch(out, /\r/);
});

Deno.test("cli rejects bad flags with exit status 2 and a message naming the flag and the value", async () => {
  const cases: [string[], RegExp][] = [
    [["frobnicate"], /Unknown command "frobnicate": known commands are train, evaluate, compare, demo/],
    [["train"], /train needs --spec FILE/],
    [["train", "--spec", example, "--epochs", "0"], /--epochs must be an integer >= 1, got "0"/],
    [["train", "--spec", example, "--batch-size", "ten"], /--batch-size must be an integer >= 1, got "ten"/],
    [
      ["train", "--spec", example, "--dataset", "cifar"],
      /--dataset must be one of mnist, fashion-mnist, copy, repeat-copy, seq-mnist, text:PATH, got "cifar"/,
    ],
    [["train", "--spec", example, "--backend", "webgl"], /--backend must be one of native, wasm, cpu, got "webgl"/],
    [["train", "--spec", example, "--bogus"], /Unknown option "--bogus" for "train"/],
    [["train", "--spec", "/no/such/spec.json"], /Cannot read spec file \/no\/such\/spec\.json/],
  ];
  for (const [args, pattern] of cases) {
    const { code, err } = await run(args);
    assert.equal(code, 2, args.join(" "));
    assert.match(err, pattern);
  }
});

Deno.test("cli reports a malformed or invalid spec file and a bad data dir without a stack trace", async () => {
  const malformed = await specFile("{ not json");
  let r = await run(["train", "--spec", malformed]);
  assert.equal(r.code, 2);
  assert.match(r.err, /is not valid JSON/);
  const unknown = await specFile(
    JSON.stringify({
      input: [784],
      layers: [{ type: "dense", units: 8, interface: "magic" }, { type: "dense", units: 10 }],
    }),
  );
  r = await run(["train", "--spec", unknown, "--train-count", "10"]);
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /^error: Invalid spec: layers\[0\]\.interface is not a known interface \(known: backprop[^)]*\), got "magic"\n$/,
  );
  r = await run(["train", "--spec", example, "--data-dir", "/no/such/dir"]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^error: Dataset file \/no\/such\/dir: data directory cannot be read/);
  assert.doesNotMatch(r.err, / {4}at /);
  for (const f of [malformed, unknown]) await Deno.remove(f);
});

Deno.test("cli.ts exits non-zero with one line on stderr when run as a program", async () => {
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", cli, "train", "--spec", example, "--epochs", "1.5"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 2);
  assert.equal(new TextDecoder().decode(stdout), "");
  assert.match(new TextDecoder().decode(stderr), /error: --epochs must be an integer >= 1, got "1.5"/);
});

Deno.test("cli compare writes the report and prints it as JSON with --json", async () => {
  const out = await Deno.makeTempDir();
  const r = await run([
    "compare",
    "--interfaces",
    "backprop,csg",
    "--epochs",
    "1",
    "--train-count",
    "1000",
    "--test-count",
    "200",
    "--target",
    "0.5",
    "--out",
    out,
    "--json",
  ]);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split("\n");
  const report = JSON.parse(lines[lines.length - 1]!);
  assert.deepEqual(report.results.map((x: { name: string }) => x.name), [
    "fcn3-backprop-bn-mnist",
    "fcn3-csg-bn-mnist",
  ]);
  assert.equal(report.options.trainCount, 1000);
  assert.match(await Deno.readTextFile(`${out}/report.md`), /fcn3-csg-bn-mnist/);
  assert.match(r.err, /\[2\/2\] fcn3-csg-bn-mnist/);
  await Deno.remove(out, { recursive: true });
});

Deno.test("cli compare --specs compares spec files (a small CNN), rows named after the files; a bad one fails first", async () => {
  const out = await Deno.makeTempDir();
  const cnn = (iface: string) => ({
    input: [28, 28, 1],
    layers: [
      { type: "conv2d", filters: 2, kernelSize: 3, strides: 2, padding: "same", activation: "relu", interface: iface },
      { type: "maxPool2d", poolSize: 2 },
      { type: "flatten" },
      { type: "dense", units: 10 },
    ],
  });
  const files = await Promise.all(["backprop", "csg"].map(async (iface) => {
    const file = `${out}/tiny_${iface}.json`;
    await Deno.writeTextFile(file, JSON.stringify(cnn(iface)));
    return file;
  }));
  const common = ["--epochs", "1", "--train-count", "256", "--test-count", "64", "--target", "0.2", "--json"];
  const r = await run(["compare", "--specs", files.join(","), ...common, "--out", out]);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split("\n");
  const report = JSON.parse(lines[lines.length - 1]!);
  assert.deepEqual(report.results.map((x: { name: string }) => x.name), ["tiny_backprop-mnist", "tiny_csg-mnist"]);
  assert.deepEqual(report.results.map((x: { interface: string }) => x.interface), ["backprop", "csg"]);
  assert.ok(report.results[1].speedVsBackprop > 0, "the csg row is compared with the backprop row");
  assert.deepEqual(report.results[1].diagnostics.map((d: { layer: number }) => d.layer), [0]);
  const bad = `${out}/bad.json`;
  await Deno.writeTextFile(
    bad,
    JSON.stringify({ ...cnn("csg"), layers: cnn("csg").layers.filter((l) => l.type !== "flatten") }),
  );
  const start = performance.now();
  const failed = await run(["compare", "--specs", `${files[0]},${bad}`, ...common, "--out", out]);
  assert.equal(failed.code, 1);
  assert.match(
    failed.err,
    /^error: Invalid spec: layers\[2\]\.type takes a flat input \[features\] but would get \[7, 7, 2\] per example/m,
  );
  assert.ok(performance.now() - start < 5000, "it fails before training anything");
  await Deno.remove(out, { recursive: true });
});

Deno.test("cli compare --specs with --interfaces tfjs-layers runs the TF.js peer in the same report", async () => {
  const out = await Deno.makeTempDir();
  const r = await run([
    "compare",
    "--specs",
    "examples/fcn3_backprop.json,examples/fcn3_local_loss.json",
    "--interfaces",
    "tfjs-layers",
    ...["--epochs", "1", "--train-count", "600", "--test-count", "100", "--out", out, "--json"],
  ]);
  assert.equal(r.code, 0, r.err);
  const report = lastJson(r.out);
  const names = report.results.map((x: { name: string }) => x.name);
  assert.deepEqual(names, ["fcn3_backprop-mnist", "fcn3_local_loss-mnist", "fcn3-tfjs-layers-bn-mnist"]);
  assert.ok(report.results[2].speedVsBackprop > 0, "the peer is compared with the backprop row");
  await Deno.remove(out, { recursive: true });
});

Deno.test("cli compare rejects bad lists and values", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["compare", "--interfaces", "backprop,magic"],
      /--interfaces: "magic" is not one of backprop, sg, csg, tfjs-layers/,
    ],
    [["compare", "--datasets", "cifar"], /--datasets: "cifar" is not one of mnist, fashion-mnist/],
    [["compare", "--depths", "0"], /--depths: "0" is not an integer in 1\.\.16/],
    [["compare", "--target", "97"], /--target must be a number in \(0, 1\], got "97"/],
    [["compare", "--epochs", "x"], /--epochs must be an integer >= 1, got "x"/],
    [
      ["compare", "--specs", "examples/fcn3_csg.json", "--interfaces", "sg"],
      /--interfaces with --specs can only be tfjs-layers \(adds the TF.js peer's FCN rows\), got "sg"/,
    ],
  ];
  for (const [args, pattern] of cases) {
    const { code, err } = await run(args);
    assert.equal(code, 2, args.join(" "));
    assert.match(err, pattern);
  }
});

const lastJson = (out: string) => JSON.parse(out.trim().split("\n").pop()!);

Deno.test("cli train --save then evaluate --load gives the training run's last test accuracy", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/fcn2`;
  const common = ["--test-count", "300"];
  const trained = await run(trainArgs(example, 1, 1000, ...common, "--save", dir, "--json"));
  assert.equal(trained.code, 0, trained.err);
  const t = lastJson(trained.out);
  assert.equal(t.checkpoint, dir);
  assert.match(trained.err, new RegExp(`saved checkpoint ${dir}\n`));
  const manifest = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
  assert.equal(manifest.steps, 8, "1000 examples in batches of 128");
  assert.notEqual(manifest.optimizerState, null);
  const evaluated = await run(["evaluate", "--load", dir, ...common, "--json"]);
  assert.equal(evaluated.code, 0, evaluated.err);
  const e = lastJson(evaluated.out);
  assert.equal(e.testAccuracy, t.testAccuracy);
  assert.equal(e.testLoss, t.testLoss);
  assert.deepEqual([e.steps, e.dataset], [8, { name: "mnist", test: 300 }]);
  const plain = await run(["evaluate", "--load", dir, ...common]);
  assert.equal(plain.code, 0);
  const shown = (100 * t.testAccuracy).toFixed(2).replace(".", "\\.");
  assert.match(
    plain.out,
    new RegExp(`\\(8 steps\\) on mnist \\(300 test examples\\): test accuracy ${shown}%  test loss`),
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("cli train --workers 64 runs no more Workers than cores (and modules), and prints what runs", async () => {
  const spec = new URL("../examples/fcn3_backprop.json", import.meta.url).pathname;
  const r = await run(trainArgs(spec, 1, 256, "--test-count", "100", "--workers", "64", "--json"));
  assert.equal(r.code, 0, r.err);
  const m = /^running: data-parallel \((\d+) workers\) \(--workers 64 asked; this machine has (\d+) cores?\)$/m.exec(
    r.err,
  );
  assert.ok(m, r.err);
  assert.equal(Number(m[1]), Math.max(2, Number(m[2])));
});

Deno.test("cli train --workers 2 --save saves the gathered training state, which evaluates to the run's accuracy", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/csg`;
  const spec = new URL("../examples/fcn3_csg.json", import.meta.url).pathname;
  const common = ["--test-count", "200"];
  const trained = await run(trainArgs(spec, 1, 512, "--workers", "2", ...common, "--save", dir, "--json"));
  assert.equal(trained.code, 0, trained.err);
  assert.match(trained.err, /^saved checkpoint \S+csg$/m);
  assert.match(trained.err, /^running: pipeline \(2 workers, staleness 1\)$/m);
  const manifest = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
  // The whole training state came back from the Workers: every layer's and synthesizer's optimizer, stepped.
  const counters = manifest.optimizerState.counters;
  assert.equal(counters["layers[0].optimizer.steps"], manifest.steps);
  assert.ok(counters["interfaces[0].synthesizer.optimizer.steps"] > 0, JSON.stringify(counters));
  const evaluated = await run(["evaluate", "--load", dir, ...common, "--json"]);
  assert.equal(evaluated.code, 0, evaluated.err);
  assert.equal(lastJson(evaluated.out).testAccuracy, lastJson(trained.out).testAccuracy);
  await Deno.remove(root, { recursive: true });
});

Deno.test("cli evaluate rejects bad flags (status 2) and bad checkpoints (status 1) in one line", async () => {
  const root = await Deno.makeTempDir();
  const usage: [string[], RegExp][] = [
    [["evaluate"], /evaluate needs --load DIR/],
    [["evaluate", "--load", root, "--test-count", "0"], /--test-count must be an integer >= 1, got "0"/],
    [
      ["evaluate", "--load", root, "--dataset", "cifar"],
      /--dataset must be one of mnist, fashion-mnist, got "cifar"/,
    ],
    [["evaluate", "--load", root, "--bogus"], /Unknown option "--bogus" for "evaluate"/],
    [["train", "--spec", example, "--save", ""], /--save needs a directory/],
  ];
  for (const [args, pattern] of usage) {
    const { code, err } = await run(args);
    assert.equal(code, 2, args.join(" "));
    assert.match(err, pattern);
  }
  // A corrupt checkpoint, a missing one, one of another input width.
  const net = buildNetwork({ input: [16], layers: [{ type: "dense", units: 10 }] });
  await saveCheckpoint(net, `${root}/small`);
  net.dispose();
  const weights = await Deno.readFile(`${root}/small/weights.bin`);
  await Deno.writeFile(`${root}/small/weights.bin`, weights.subarray(1));
  let r = await run(["evaluate", "--load", `${root}/small`]);
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /^error: Checkpoint .*\/small\/weights\.bin: has \d+ bytes, the manifest expects \d+ \(truncated, or from another save\)\n$/,
  );
  await Deno.writeFile(`${root}/small/weights.bin`, weights);
  r = await run(["evaluate", "--load", `${root}/small`, "--test-count", "10"]);
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /^error: Dataset "mnist" has 784 features and 10 classes; the network of checkpoint .* takes 16 inputs/,
  );
  r = await run(["evaluate", "--load", `${root}/none`]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^error: Checkpoint .*\/none: does not exist\n$/);
  // train --save onto something that is not a checkpoint fails before training and leaves it alone.
  await Deno.writeTextFile(`${root}/precious.txt`, "keep");
  r = await run(["train", "--spec", example, "--save", root]);
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /^error: Checkpoint .*: holds "(none|precious\.txt|small)", which is not part of a checkpoint; not replacing it/,
  );
  assert.doesNotMatch(r.out + r.err, /epoch/);
  assert.equal(await Deno.readTextFile(`${root}/precious.txt`), "keep");
  await Deno.remove(root, { recursive: true });
});

Deno.test("cli: a mistyped flag gets one line naming the command and the flag it was probably meant to be", async () => {
  const cases: [string[], string][] = [
    [["train", "--spec", example, "--epoch", "3"], 'Unknown option "--epoch" for "train" (did you mean --epochs?)'],
    [
      ["train", "--spec", example, "--batchsize", "8"],
      'Unknown option "--batchsize" for "train" (did you mean --batch-size?)',
    ],
    [["evaluate", "--lod", "ckpt"], 'Unknown option "--lod" for "evaluate" (did you mean --load?)'],
    [["compare", "--interface", "sg"], 'Unknown option "--interface" for "compare" (did you mean --interfaces?)'],
    [["demo", "--epoch", "1"], 'Unknown option "--epoch" for "demo" (did you mean --epochs?)'],
  ];
  for (const [args, message] of cases) {
    const { code, out, err } = await run(args);
    assert.equal(code, 2, args.join(" "));
    assert.equal(err, `error: ${message}\n(see deno task ${args[0]} --help)\n`);
    assert.equal(out, "");
  }
});

Deno.test("cli help texts name the commands as users type them (deno task ...), and demo --help exits 0", async () => {
  for (const command of ["train", "evaluate", "compare", "demo"]) {
    for (const flag of ["--help", "-h"]) {
      const { code, out, err } = await run([command, flag]);
      assert.equal(code, 0, `${command} ${flag}: ${err}`);
      assert.match(out, new RegExp(`^Usage: deno task ${command}\\b`), `${command} ${flag}`);
      assert.doesNotMatch(out, /cli\.ts/, `${command} ${flag}`);
    }
  }
  const { code, out } = await run(["--help"]);
  assert.equal(code, 0);
  assert.match(out, /^Usage: deno task <command> \[options\]/);
  for (const command of ["train", "evaluate", "compare", "demo"]) {
    assert.match(out, new RegExp(`deno task ${command} --help`));
  }
  const unknown = await run(["fit"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /\(see deno run -A cli\.ts --help\)\n$/);
});

Deno.test("cli --plugin loads a plugin module for train (also on Workers), evaluate and compare", async () => {
  const root = await Deno.makeTempDir();
  const spec = new URL("../examples/plugins/fcn3_drtp.json", import.meta.url).pathname;
  const plugin = new URL("../examples/plugins/drtp.ts", import.meta.url).pathname;
  const common = ["--test-count", "100"];
  // Without the plugin the spec names an unknown interface; with it, it trains, in a pipeline of Workers too.
  const without = await run(trainArgs(spec, 1, 256, ...common));
  assert.equal(without.code, 1);
  assert.match(without.err, /^error: Invalid spec: layers\[0\]\.interface is not a known interface .*got "drtp"\n$/);
  const piped = await run(trainArgs(spec, 1, 256, ...common, "--plugin", plugin, "--workers", "2", "--json"));
  assert.equal(piped.code, 0, piped.err);
  assert.equal(lastJson(piped.out).epochs[0].stages.length, 2, "cut at the plugin's interfaces");
  const trained = await run(trainArgs(spec, 1, 256, ...common, "--plugin", plugin, "--save", `${root}/ck`, "--json"));
  assert.equal(trained.code, 0, trained.err);
  const evaluated = await run(["evaluate", "--load", `${root}/ck`, ...common, "--plugin", plugin, "--json"]);
  assert.equal(evaluated.code, 0, evaluated.err);
  assert.equal(lastJson(evaluated.out).testAccuracy, lastJson(trained.out).testAccuracy);
  const compared = await run([
    "compare",
    ...["--plugin", plugin, "--interfaces", "drtp", "--epochs", "1", "--train-count", "256", ...common],
    ...["--out", `${root}/report`, "--json"],
  ]);
  assert.equal(compared.code, 0, compared.err);
  assert.deepEqual(lastJson(compared.out).results.map((r: { name: string }) => r.name), ["fcn3-drtp-bn-mnist"]);
  // A module that cannot be loaded: one error line, status 1, for every command.
  for (const args of [trainArgs(spec, 1, 256), ["evaluate", "--load", `${root}/ck`], ["compare"]]) {
    const r = await run([...args, "--plugin", `${root}/no_such_plugin.ts`]);
    assert.equal(r.code, 1, args.join(" "));
    assert.match(r.err, /^error: Cannot load plugin ".*no_such_plugin\.ts": importing file:\/\/.* failed: .*\n$/);
  }
  const unknown = await run(["compare", "--interfaces", "drtp"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /--interfaces: "drtp" is not one of backprop, sg, csg, tfjs-layers/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("cli train --validation-split reports validation accuracy per epoch and the best epoch by it", async () => {
  const { code, out, err } = await run(
    trainArgs(example, 2, 1000, "--test-count", "200", "--validation-split", "0.2", "--json"),
  );
  assert.equal(code, 0, err);
  const r = JSON.parse(out.trim().split("\n").pop()!);
  assert.ok([1, 2].includes(r.bestEpoch));
  for (const e of r.epochs) assert.ok(e.validationAccuracy >= 0 && e.validationAccuracy <= 1);
  assert.match(err, /val acc [\d.]+%/);
  const bad = await run(trainArgs(example, 1, 100, "--validation-split", "1"));
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--validation-split must be a number in \(0, 1\), got "1"/);
});
