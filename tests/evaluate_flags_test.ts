// `evaluate` takes the data flags of `train` that mean something for a checkpoint (the same table and checks:
// cli/data_flags.ts) and refuses the others with the reason (cli/evaluate_flags.ts): each accepted flag changes
// what is measured, the way it did for the run that saved the checkpoint.
import assert from "node:assert/strict";
import { saveCheckpoint } from "../checkpoint/save.ts";
import { buildNetwork } from "../network/build.ts";
import { cleanUp, cli, lastJson, lstmSpec, refused, seqMnistTrain, specFile, tempDir } from "./_sequence_cli.ts";

/** `evaluate --load dir ... --json`, which must succeed: its JSON object. */
// deno-lint-ignore no-explicit-any
async function evaluated(dir: string, ...flags: string[]): Promise<any> {
  const r = await cli(["evaluate", "--load", dir, ...flags, "--json"]);
  assert.equal(r.code, 0, `evaluate ${flags.join(" ")}: ${r.err}`);
  return lastJson(r.out);
}

/** A data directory holding the shipped MNIST files (as DIR/mnist/FILE). */
async function mnistDataDir(): Promise<string> {
  const dir = await tempDir();
  await Deno.mkdir(`${dir}/mnist`);
  const shipped = new URL("../datasets/data/mnist/", import.meta.url);
  for (const entry of Deno.readDirSync(shipped)) {
    await Deno.copyFile(new URL(entry.name, shipped), `${dir}/mnist/${entry.name}`);
  }
  return dir;
}

Deno.test("cli evaluate of a feed-forward checkpoint takes --dataset, --data-dir, --test-count; refuses the rest", async () => {
  const dir = `${await tempDir()}/ff`;
  const net = buildNetwork({ input: [784], layers: [{ type: "dense", units: 10 }] }, { seed: 1 });
  await saveCheckpoint(net, dir);
  net.dispose();

  // --test-count: the number of test examples evaluated.
  const few = await evaluated(dir, "--test-count", "25");
  assert.deepEqual(few.dataset, { name: "mnist", test: 25 });
  assert.deepEqual((await evaluated(dir, "--test-count", "40")).dataset, { name: "mnist", test: 40 });

  // --data-dir: the files are read from there (the same numbers from a copy; none from an empty directory).
  const copy = await evaluated(dir, "--test-count", "25", "--data-dir", await mnistDataDir());
  assert.deepEqual([copy.testAccuracy, copy.testLoss], [few.testAccuracy, few.testLoss]);
  const empty = await tempDir();
  await refused(["evaluate", "--load", dir, "--data-dir", empty], 1, /mnist\/t?\S+-idx\d-ubyte\.gz.*not found in data/);
  // --dataset: which dataset's files are read.
  await refused(
    ["evaluate", "--load", dir, "--dataset", "fashion-mnist", "--data-dir", empty],
    1,
    new RegExp(`${empty}/fashion-mnist/\\S+-idx\\d-ubyte\\.gz or .*: not found in data directory ${empty}`),
  );

  // The test split only: a training split's flags would change nothing.
  for (const flag of [["--train-count", "100"], ["--validation-split", "0.1"]]) {
    await refused(
      ["evaluate", "--load", dir, ...flag],
      2,
      new RegExp(
        `^error: ${flag[0]} does not apply to evaluate --load ${dir}: evaluate measures a feed-forward checkpoint ` +
          "on the test split only \\(--test-count N limits it\\)$",
      ),
    );
  }
  // Checked as train checks them.
  await refused(["evaluate", "--load", dir, "--validation-split", "2"], 2, /--validation-split must be a number in/);
  await refused(["evaluate", "--load", dir, "--train-count", "x"], 2, /--train-count must be an integer >= 1, got "x"/);
  await cleanUp();
});

Deno.test("cli evaluate of a seq-mnist checkpoint: --train-count makes its validation split, --test-count its test", async () => {
  const root = await tempDir();
  const spec = await specFile(lstmSpec(28, 10, "softmax-cross-entropy", { units: 8 }));
  const train = (dir: string, ...more: string[]) =>
    cli(seqMnistTrain(spec, ...[
      "--steps",
      "2",
      "--batch-size",
      "16",
      "--train-count",
      "200",
      "--test-count",
      "40",
      "--save",
      dir,
      "--json",
      ...more,
    ]));
  const trained = await train(`${root}/val`, "--validation-split", "0.25");
  assert.equal(trained.code, 0, trained.err);
  const t = lastJson(trained.out);
  const last = t.epochs.at(-1);

  // The run's data flags give the run's numbers: 40 test images, the last 50 of the first 200 for validation.
  const e = await evaluated(`${root}/val`, "--train-count", "200", "--test-count", "40");
  assert.deepEqual(e.dataset, { name: "seq-mnist", test: 40 });
  assert.equal(e.testAccuracy, last.testAccuracy);
  assert.equal(e.sequence.validation.sequences, 50);
  assert.equal(e.sequence.validation.correct / e.sequence.validation.steps, last.validationAccuracy);
  // Other counts, other splits.
  const more = await evaluated(`${root}/val`, "--train-count", "400", "--test-count", "20");
  assert.deepEqual([more.dataset.test, more.sequence.validation.sequences], [20, 100]);
  // --data-dir: the same images from a copy of the files.
  const copy = await evaluated(
    `${root}/val`,
    "--train-count",
    "200",
    "--test-count",
    "40",
    "--data-dir",
    await mnistDataDir(),
  );
  assert.deepEqual(copy.sequence, e.sequence);

  // The split is the checkpoint's own; without one, --train-count would change nothing.
  await refused(
    ["evaluate", "--load", `${root}/val`, "--validation-split", "0.1"],
    2,
    /^error: --validation-split does not apply to evaluate --load \S+ \(a seq-mnist checkpoint\): the checkpoint records its run's validation split \(0\.25\)/,
  );
  const plain = await train(`${root}/plain`);
  assert.equal(plain.code, 0, plain.err);
  await refused(
    ["evaluate", "--load", `${root}/plain`, "--train-count", "200"],
    2,
    /^error: --train-count does not apply to evaluate --load \S+ \(a seq-mnist checkpoint\): its run held out no validation split/,
  );
  assert.deepEqual((await evaluated(`${root}/plain`, "--test-count", "30")).dataset, { name: "seq-mnist", test: 30 });
  await cleanUp();
});

Deno.test("cli evaluate of a text checkpoint: --validation-split is the run's validation part; the image flags are refused", async () => {
  const root = await tempDir();
  const text = `${root}/corpus.txt`;
  await Deno.writeTextFile(text, "the cat sat on the mat. ".repeat(40));
  const spec = await specFile(lstmSpec("vocabulary", "vocabulary", "softmax-cross-entropy", { units: 8 }));
  const dir = `${root}/text`;
  const trained = await cli([
    "train",
    "--spec",
    spec,
    "--dataset",
    `text:${text}`,
    "--steps",
    "2",
    "--batch-size",
    "4",
    "--sequence-length",
    "10",
    "--validation-split",
    "0.2",
    "--save",
    dir,
    "--json",
  ]);
  assert.equal(trained.code, 0, trained.err);
  const t = lastJson(trained.out);

  const e = await evaluated(dir, "--validation-split", "0.2");
  assert.equal(e.sequence.validation.bits / e.sequence.validation.steps, t.sequence.bitsPerChar);
  // Without it, the default last 0.1 of the text: another, smaller validation part.
  const byDefault = await evaluated(dir);
  assert.ok(byDefault.sequence.validation.steps < e.sequence.validation.steps, JSON.stringify(byDefault.sequence));

  for (
    const [flag, why] of [["--test-count", /text has no test split/], ["--data-dir", /text reads no dataset files/]]
  ) {
    await refused(
      ["evaluate", "--load", dir, flag as string, "1"],
      2,
      new RegExp(`^error: ${flag} does not apply to --dataset text: ${(why as RegExp).source}$`),
    );
  }
  await cleanUp();
});
