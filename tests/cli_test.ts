import assert from "node:assert/strict";
import { main } from "../cli.ts";

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "", err = "";
  const code = await main(args, { out: (s) => out += s, err: (s) => err += s, live: false });
  return { code, out, err };
}

const example = new URL("../examples/fcn2_backprop.json", import.meta.url).pathname;

async function specFile(text: string): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(path, text);
  return path;
}

Deno.test("cli train --json prints the result as the last line of stdout", async () => {
  const { code, out, err } = await run([
    "train",
    "--spec",
    example,
    "--epochs",
    "2",
    "--train-count",
    "2000",
    "--test-count",
    "500",
    "--json",
  ]);
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
  const { code, out } = await run([
    "train",
    "--spec",
    example,
    "--epochs",
    "1",
    "--train-count",
    "500",
    "--test-count",
    "100",
  ]);
  assert.equal(code, 0);
  assert.match(out, /epoch 1\/1 {2}loss \d+\.\d{4} {2}train acc [\d.]+% {2}test acc [\d.]+%/);
  assert.match(out, /test accuracy [\d.]+%/);
  assert.doesNotMatch(out, /\r/);
});

Deno.test("cli rejects bad flags with exit status 2 and a message naming the flag and the value", async () => {
  const cases: [string[], RegExp][] = [
    [["frobnicate"], /Unknown command "frobnicate": known commands are train, compare, demo/],
    [["train"], /train needs --spec FILE/],
    [["train", "--spec", example, "--epochs", "0"], /--epochs must be an integer >= 1, got "0"/],
    [["train", "--spec", example, "--batch-size", "ten"], /--batch-size must be an integer >= 1, got "ten"/],
    [["train", "--spec", example, "--dataset", "cifar"], /--dataset must be one of mnist, fashion-mnist, got "cifar"/],
    [["train", "--spec", example, "--backend", "webgl"], /--backend must be one of wasm, cpu, got "webgl"/],
    [["train", "--spec", example, "--bogus"], /Unknown option '--bogus'/],
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
  assert.deepEqual(report.results.map((x: { name: string }) => x.name), ["fcn3-backprop-mnist", "fcn3-csg-mnist"]);
  assert.equal(report.options.trainCount, 1000);
  assert.match(await Deno.readTextFile(`${out}/report.md`), /fcn3-csg-mnist/);
  assert.match(r.err, /\[2\/2\] fcn3-csg-mnist/);
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
  ];
  for (const [args, pattern] of cases) {
    const { code, err } = await run(args);
    assert.equal(code, 2, args.join(" "));
    assert.match(err, pattern);
  }
});
