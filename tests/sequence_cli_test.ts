// The sequence tasks through the CLI learn, each above its chance level within a stated budget: the `--json` line
// is the RunResult of cli/run.ts and each progress line is cli/progress.ts's `epochLine` of an epoch's record.
// Budgets are small (16 lstm units, Adam at 0.01) so that the file runs in well under a minute, twice in CI.
import assert from "node:assert/strict";
import { generatedText, textCorpus } from "../sequence/text.ts";
import { repeatCopyLevel } from "../sequence/copy_task.ts";
import { epochLine } from "../cli/progress.ts";
import type { EpochRecord } from "../training/history.ts";
import {
  cleanUp,
  cli,
  type CliRun,
  example,
  lastJson,
  lstmSpec,
  seqMnistTrain,
  specFile,
  tempDir,
} from "./_sequence_cli.ts";

/** Each epoch's progress line on stderr is `epochLine` of its record in the --json line. */
function assertProgressLines(run: CliRun, epochs: EpochRecord[]): void {
  for (const record of epochs) {
    const line = epochLine("", epochs.at(-1)!.epoch, record);
    assert.ok(run.err.includes(`${line}\n`), `no line ${JSON.stringify(line)} in ${run.err}`);
  }
}

// Copy and repeat copy: chance is about 1 bit per bit (8 bits per output step); the curriculum solves a length
// when the error falls under 0.15 bits per output step. Length 1 was solved within 300-400 steps on seeds 0-4 (on
// native and on wasm alike); the budget is 600.
for (const [task, features, outputs] of [["copy", 9, 8], ["repeat-copy", 10, 9]] as const) {
  Deno.test(`cli train on ${task} with DNI on the lstm's state solves length >= 1 within 600 steps of 16`, async () => {
    const spec = await specFile(lstmSpec(features, outputs, "sigmoid-cross-entropy"));
    const run = await cli([
      "train",
      "--spec",
      spec,
      "--dataset",
      task,
      "--truncation",
      "3",
      "--steps",
      "600",
      "--log-every",
      "100",
      "--batch-size",
      "16",
      "--json",
    ]);
    assert.equal(run.code, 0, run.err);
    const r = lastJson(run.out);
    assert.deepEqual(r.dataset, { name: task });
    assert.equal(r.spec.layers[0].stateInterface.type, "sg");
    assert.deepEqual(r.epochs.map((e: EpochRecord) => e.epoch), [1, 2, 3, 4, 5, 6]);
    const solved = r.sequence.maxSequenceLength;
    assert.ok(solved >= 1, `${task}: solved length ${solved} in 600 steps; epochs ${JSON.stringify(r.epochs)}`);
    assert.equal(solved, r.epochs.at(-1).maxSequenceLength);
    assert.ok(r.epochs.at(-1).level > solved, "the curriculum moved on to the next length");
    const best = Math.min(...r.epochs.map((e: EpochRecord) => e.errorBits!));
    assert.ok(best < 1, `${task}: best epoch error ${best} bits per step, chance is about 8`);
    if (task === "repeat-copy") assert.deepEqual(r.sequence.pattern, repeatCopyLevel(solved));
    const cosine = r.sequence.syntheticGradientCosine;
    assert.ok(typeof cosine === "number" && Math.abs(cosine) <= 1, `cosine ${cosine}`);
    assertProgressLines(run, r.epochs);
    await cleanUp();
  });
}

// Sequential MNIST, 28 rows of 28 pixels, the class at the last row: chance is 0.1. Two epochs over 922 images
// (1024, the last 10% held out) reached 0.35-0.54 test accuracy on 500 test images (seeds 0, 1); asserted: >= 0.25.
Deno.test("cli train on seq-mnist (csg on the state) learns above chance and reports validation and the best epoch", async () => {
  const spec = await specFile(lstmSpec(28, 10, "softmax-cross-entropy", { stateInterface: "csg" }));
  const run = await cli(seqMnistTrain(spec, ...[
    "--epochs",
    "2",
    "--batch-size",
    "16",
    "--train-count",
    "1024",
    "--test-count",
    "500",
    "--validation-split",
    "0.1",
    "--json",
  ]));
  assert.equal(run.code, 0, run.err);
  const r = lastJson(run.out);
  assert.deepEqual(r.dataset, { name: "seq-mnist", train: 1024, test: 500 });
  assert.equal(r.epochs.length, 2);
  for (const e of r.epochs as EpochRecord[]) {
    assert.ok(e.validationAccuracy! >= 0 && e.validationAccuracy! <= 1, `validation accuracy ${e.validationAccuracy}`);
  }
  const [first, second] = r.epochs as EpochRecord[];
  assert.equal(r.bestEpoch, second!.validationAccuracy! > first!.validationAccuracy! ? 2 : 1);
  assert.equal(r.sequence.testAccuracy, second!.testAccuracy);
  assert.equal(r.testAccuracy, second!.testAccuracy);
  assert.ok(r.sequence.testAccuracy >= 0.25, `seq-mnist test accuracy ${r.sequence.testAccuracy}, chance 0.1`);
  assertProgressLines(run, r.epochs);
  assert.equal(run.out.trim().split("\n").length, 1, "with --json, stdout is the JSON line only");
  await cleanUp();
});

Deno.test("cli train on seq-mnist --patience stops once validation accuracy has not improved", async () => {
  // A learning rate of 1e-9 leaves every prediction as it was: validation accuracy never improves, so --patience 1
  // stops after epoch 2 of 4, and the best epoch is the first.
  const spec = await specFile(lstmSpec(28, 10, "softmax-cross-entropy", { learningRate: 1e-9 }));
  const run = await cli([
    "train",
    "--spec",
    spec,
    "--dataset",
    "seq-mnist",
    "--epochs",
    "4",
    "--batch-size",
    "32",
    "--train-count",
    "256",
    "--test-count",
    "64",
    "--validation-split",
    "0.25",
    "--patience",
    "1",
    "--json",
  ]);
  assert.equal(run.code, 0, run.err);
  const r = lastJson(run.out);
  assert.deepEqual(r.epochs.map((e: EpochRecord) => e.epoch), [1, 2]);
  assert.equal(r.epochs[1].validationAccuracy, r.epochs[0].validationAccuracy);
  assert.equal(r.bestEpoch, 1);
  await cleanUp();
});

// A text: its training part's unigram entropy is what a model without memory reaches; uniform is log2(vocabulary).
function unigramEntropy(ids: Uint32Array): number {
  const counts = new Map<number, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / ids.length) * Math.log2(n / ids.length);
  return bits;
}

async function textFile(): Promise<{ path: string; vocabulary: number; unigram: number }> {
  const text = generatedText(3, 20000);
  const path = `${await tempDir()}/corpus.txt`;
  await Deno.writeTextFile(path, text);
  const corpus = textCorpus(text); // the CLI's split: the last 10% for validation
  return { path, vocabulary: corpus.vocabulary.length, unigram: unigramEntropy(corpus.train) };
}

// The generated text (24 characters, unigram entropy 3.96 bits, log2(24) = 4.58): 100 steps of 16 streams of 20
// characters reached 0.46-0.72 validation bits per character (seeds 0-2).
Deno.test("cli train on a text file learns: bits per character below the unigram entropy within 100 steps", async () => {
  const { path, vocabulary, unigram } = await textFile();
  const spec = await specFile(
    lstmSpec("vocabulary", "vocabulary", "softmax-cross-entropy", { units: 32 }),
  );
  const run = await cli([
    "train",
    "--spec",
    spec,
    "--dataset",
    `text:${path}`,
    "--truncation",
    "5",
    "--steps",
    "100",
    "--log-every",
    "50",
    "--sequence-length",
    "20",
    "--batch-size",
    "16",
    "--json",
  ]);
  assert.equal(run.code, 0, run.err);
  const r = lastJson(run.out);
  assert.deepEqual(r.dataset, { name: `text:${path}` });
  assert.deepEqual(r.spec.input, [vocabulary]);
  const bits = r.sequence.bitsPerChar;
  assert.equal(bits, r.epochs.at(-1).validationBits);
  assert.ok(bits < unigram, `${bits} bits/char, unigram entropy ${unigram}`);
  assert.ok(bits < 0.5 * Math.log2(vocabulary), `${bits} bits/char, uniform ${Math.log2(vocabulary)}`);
  assertProgressLines(run, r.epochs);
  await cleanUp();
});

Deno.test("cli train examples/text_lstm2_sg.json (vocabulary filled from the text, sg between two lstms)", async () => {
  const { path, vocabulary } = await textFile();
  const run = await cli([
    "train",
    "--spec",
    example("text_lstm2_sg.json"),
    "--dataset",
    `text:${path}`,
    "--truncation",
    "5",
    "--steps",
    "20",
    "--log-every",
    "10",
    "--sequence-length",
    "10",
    "--batch-size",
    "4",
    "--json",
  ]);
  assert.equal(run.code, 0, run.err);
  const r = lastJson(run.out);
  assert.deepEqual(r.spec.input, [vocabulary]);
  assert.equal(r.spec.layers[2].units, vocabulary);
  assert.equal(r.spec.layers[0].interface.type, "sg");
  assert.equal(r.epochs.length, 2);
  const bits = r.sequence.bitsPerChar;
  assert.equal(bits, r.epochs[1].validationBits);
  // 20 steps only check the plumbing; they already beat the uniform model.
  assert.ok(bits > 0 && bits < Math.log2(vocabulary), `${bits} bits/char, uniform ${Math.log2(vocabulary)}`);
  assert.ok(r.bestEpoch === 1 || r.bestEpoch === 2);
  assert.match(run.err, /^ {2}layer 0 sg: synthesizer loss [\d.e+-]+$/m);
  await cleanUp();
});

// `compare` of the copy task's BPTT and DNI specs, batches of 4, a line every 10 steps, with `more` flags.
const copyCompare = (more: string[]) => [
  "compare",
  "--datasets",
  "copy",
  "--specs",
  `${example("copy_lstm_bptt.json")},${example("copy_lstm_dni.json")}`,
  "--batch-size",
  "4",
  "--log-every",
  "10",
  ...more,
];

Deno.test("cli compare --truncations runs BPTT against DNI per window and writes the table and curves", async () => {
  const out = await tempDir();
  const run = await cli(copyCompare(["--truncations", "2,3", "--steps", "20", "--out", out]));
  assert.equal(run.code, 0, run.err);
  // cli/progress.ts's sequenceLine: the steps done, the curriculum's length, the error.
  assert.match(run.out + run.err, /^ {2}step 20 {2}length \d+ \(solved \d+\) {2}error [\d.]+ bits {2}loss [\d.]+/m);
  // The one report format: a row per spec and window, the task's measure, the speed against BPTT at that window.
  const report = JSON.parse(await Deno.readTextFile(`${out}/report.json`));
  type Row = { name: string; truncation: number; interface: string; sequence: { maxSequenceLength: number } };
  assert.deepEqual(
    report.results.map((r: Row) => `${r.name}@${r.truncation}:${r.interface}`),
    [
      "copy_lstm_bptt T=2@2:backprop",
      "copy_lstm_dni T=2@2:sg",
      "copy_lstm_bptt T=3@3:backprop",
      "copy_lstm_dni T=3@3:sg",
    ],
  );
  assert.ok(report.results.every((r: Row) => Number.isInteger(r.sequence.maxSequenceLength)));
  assert.equal(report.results[0].speedVsBackprop, 1);
  assert.match(
    await Deno.readTextFile(`${out}/report.md`),
    /\| configuration \| T \| measure \| s\/epoch \| sequences\/s \| speed vs BPTT \|/,
  );
  assert.match(await Deno.readTextFile(`${out}/curves-epochs.svg`), /<polyline/);
  await cleanUp();
});

Deno.test("cli compare --seeds 2 runs each sequence row with two seeds and reports its spread", async () => {
  const out = await tempDir();
  const run = await cli(
    copyCompare(["--truncations", "3", "--steps", "10", "--seed", "3", "--seeds", "2", "--out", out]),
  );
  assert.equal(run.code, 0, run.err);
  assert.match(run.out, /\[4\/4\] copy_lstm_dni T=3 \(seed 4\)/);
  const report = JSON.parse(await Deno.readTextFile(`${out}/report.json`));
  assert.deepEqual(report.options.seeds, [3, 4]);
  assert.deepEqual(report.results.map((r: { seed: number }) => r.seed), [3, 3, 4, 4]);
  type Row = { name: string; seeds: number[]; sequence: { measure: string; spread: { n: number } } };
  assert.deepEqual(
    report.spread.map((r: Row) => [r.name, r.seeds, r.sequence.measure, r.sequence.spread.n]),
    [["copy_lstm_bptt T=3", [3, 4], "maxSequenceLength", 2], ["copy_lstm_dni T=3", [3, 4], "maxSequenceLength", 2]],
  );
  const md = await Deno.readTextFile(`${out}/report.md`);
  assert.match(md, /## Across seeds/);
  assert.match(md, /\| copy_lstm_dni T=3 \| 3 \| 2 \| [\d.]+ ± [\d.]+ \([\d.]+-[\d.]+\) \|/);
  const bad = await cli(["compare", "--datasets", "copy", "--specs", example("copy_lstm_dni.json"), "--seeds", "0"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--seeds must be an integer >= 1, got "0"/);
  await cleanUp();
});
