import assert from "node:assert/strict";
import { main } from "../cli.ts";
import { generatedText } from "../sequence/text.ts";

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "", err = "";
  const code = await main(args, { out: (s) => out += s, err: (s) => err += s, live: false });
  return { code, out, err };
}

const lastJson = (out: string) => JSON.parse(out.trim().split("\n").pop()!);
const bptt = new URL("../examples/copy_lstm_bptt.json", import.meta.url).pathname;
const dni = new URL("../examples/copy_lstm_dni.json", import.meta.url).pathname;

async function specFile(spec: unknown): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(path, JSON.stringify(spec));
  return path;
}

const small = (features: number, outputs: number, loss: string, iface: unknown = "sg") => ({
  input: [features],
  layers: [{ type: "lstm", units: 16, interface: iface }, { type: "dense", units: outputs }],
  loss,
  optimizer: { type: "adam", learningRate: 0.01 },
});

Deno.test("cli train on copy with DNI on the state: --json carries maxSequenceLength and the progress history", async () => {
  const { code, out, err } = await run([
    "train",
    "--spec",
    dni,
    "--dataset",
    "copy",
    "--truncation",
    "3",
    "--steps",
    "60",
    "--batch-size",
    "8",
    "--log-every",
    "20",
    "--json",
  ]);
  assert.equal(code, 0, err);
  const r = lastJson(out);
  assert.equal(r.task, "copy");
  assert.equal(r.truncation, 3);
  assert.equal(r.steps, 60);
  assert.ok(Number.isInteger(r.maxSequenceLength) && r.maxSequenceLength >= 0);
  assert.equal(r.history.length, 3);
  assert.equal(r.spec.layers[0].interface.type, "sg");
  assert.match(err, /step 20 {2}length \d+ \(solved \d+\) {2}error [\d.]+ bits/);
});

Deno.test("cli train on repeat-copy, seq-mnist and a text file", async () => {
  const repeat = await specFile(small(10, 9, "sigmoid-cross-entropy"));
  let r = await run([
    "train",
    "--spec",
    repeat,
    "--dataset",
    "repeat-copy",
    "--truncation",
    "4",
    "--steps",
    "20",
    "--json",
  ]);
  assert.equal(r.code, 0, r.err);
  assert.ok(lastJson(r.out).maxSequenceLength >= 0);

  const mnist = await specFile(small(28, 10, "softmax-cross-entropy", { type: "csg" }));
  r = await run([
    "train",
    "--spec",
    mnist,
    "--dataset",
    "seq-mnist",
    "--truncation",
    "7",
    "--steps",
    "30",
    "--batch-size",
    "16",
    "--train-count",
    "512",
    "--test-count",
    "200",
    "--json",
  ]);
  assert.equal(r.code, 0, r.err);
  const m = lastJson(r.out);
  assert.ok(m.testAccuracy > 0.15 && m.testAccuracy <= 1, `seq-mnist accuracy ${m.testAccuracy}`); // chance is 0.1

  const textPath = await Deno.makeTempFile({ suffix: ".txt" });
  const text = generatedText(3, 20000);
  await Deno.writeTextFile(textPath, text);
  const vocabulary = new Set(text).size;
  const lm = await specFile(small(vocabulary, vocabulary, "softmax-cross-entropy"));
  r = await run([
    "train",
    "--spec",
    lm,
    "--dataset",
    `text:${textPath}`,
    "--truncation",
    "5",
    "--steps",
    "150",
    "--sequence-length",
    "20",
    "--batch-size",
    "16",
    "--json",
  ]);
  assert.equal(r.code, 0, r.err);
  const t = lastJson(r.out);
  // It learns: well below the uniform model's log2(vocabulary) bits per character.
  assert.ok(t.bitsPerChar < 0.8 * Math.log2(vocabulary), `${t.bitsPerChar} bits/char, vocabulary ${vocabulary}`);
});

Deno.test("cli sequence tasks: bad flags and mismatched specs are one clear line", async () => {
  const ff = new URL("../examples/fcn2_backprop.json", import.meta.url).pathname;
  const wide = await specFile(small(10, 8, "sigmoid-cross-entropy"));
  const cases: [string[], number, RegExp][] = [
    [["train", "--spec", dni], 2, /is a sequence spec.*--dataset copy \| repeat-copy \| seq-mnist \| text:PATH/],
    [["train", "--spec", ff, "--dataset", "copy"], 2, /--dataset copy needs a sequence spec/],
    [["train", "--spec", dni, "--dataset", "copy", "--epochs", "3"], 2, /--epochs does not apply to sequence tasks/],
    [
      ["train", "--spec", dni, "--dataset", "copy", "--truncation", "0"],
      2,
      /--truncation must be an integer >= 1, got "0"/,
    ],
    [["train", "--spec", dni, "--dataset", "copy", "--threshold", "-1"], 2, /--threshold must be a number of bits > 0/],
    [["train", "--spec", dni, "--dataset", "text:"], 2, /text:PATH needs a file path/],
    [
      ["train", "--spec", dni, "--dataset", "text:/no/such/file.txt"],
      1,
      /Dataset file \/no\/such\/file.txt: does not exist/,
    ],
    [
      ["train", "--spec", wide, "--dataset", "copy"],
      1,
      /input \[10\] per step.*does not fit copy: it needs input \[9\]/,
    ],
    [["compare", "--datasets", "copy", "--specs", bptt, "--truncations", "2,x"], 2, /--truncations: "x" is not/],
  ];
  for (const [args, status, pattern] of cases) {
    const { code, err } = await run(args);
    assert.equal(code, status, `${args.join(" ")}: ${err}`);
    assert.match(err, pattern);
    assert.equal(err.trim().split("\n").filter((l) => l.startsWith("error")).length, 1);
  }
});

Deno.test("cli compare --truncations runs BPTT against DNI per window and writes the table and curves", async () => {
  const out = await Deno.makeTempDir();
  const { code, err } = await run([
    "compare",
    "--datasets",
    "copy",
    "--specs",
    `${bptt},${dni}`,
    "--truncations",
    "2,3",
    "--steps",
    "20",
    "--batch-size",
    "4",
    "--log-every",
    "10",
    "--out",
    out,
  ]);
  assert.equal(code, 0, err);
  const report = JSON.parse(await Deno.readTextFile(`${out}/report.json`));
  assert.deepEqual(
    report.rows.map((r: { name: string; truncation: number }) => `${r.name}@${r.truncation}`),
    ["copy_lstm_bptt@2", "copy_lstm_dni@2", "copy_lstm_bptt@3", "copy_lstm_dni@3"],
  );
  assert.match(await Deno.readTextFile(`${out}/report.md`), /\| T \| copy_lstm_bptt \| copy_lstm_dni \|/);
  assert.match(await Deno.readTextFile(`${out}/curves.svg`), /<polyline/);
  await Deno.remove(out, { recursive: true });
});
