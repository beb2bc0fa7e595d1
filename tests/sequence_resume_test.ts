// The sequence workflow of issue 24 on the CLI: train a copy task with DNI on the lstm's state and save it,
// evaluate the checkpoint (the numbers the run ended with), train on from it: N steps, then M more, give exactly
// what one run of N + M steps gives (one BLAS thread).
import assert from "node:assert/strict";
import type { EpochRecord } from "../training/history.ts";
import {
  cleanUp,
  cli,
  example,
  lastJson,
  lstmSpec,
  oneThread,
  seqMnistTrain,
  specFile,
  tempDir,
  withOneBlasThread,
} from "./_sequence_cli.ts";

const N = 200, M = 100, K = 50; // steps, more steps, steps per epoch (--log-every)

// examples/copy_lstm_dni.json (128 units, Adam at 0.001) on batches of 8 solves length 1 within the first N steps
// (seed 0), so the resumed steps N+1..N+M run at length 2: the curriculum's level travels in the checkpoint.
const trainCopy = (steps: number, ...more: string[]) => [
  "train",
  "--spec",
  example("copy_lstm_dni.json"),
  "--dataset",
  "copy",
  "--truncation",
  "3",
  "--steps",
  String(steps),
  "--log-every",
  String(K),
  "--batch-size",
  "8",
  ...oneThread(),
  "--json",
  ...more,
];

const same = ["loss", "accuracy", "errorBits", "level", "maxSequenceLength"] as const;

Deno.test("cli: train copy --save, evaluate --load gives the run's numbers, train --load M more equals N + M steps", async () => {
  const dir = `${await tempDir()}/copy`;
  await withOneBlasThread(async () => {
    const whole = await cli(trainCopy(N + M));
    assert.equal(whole.code, 0, whole.err);
    const w = lastJson(whole.out);

    const first = await cli(trainCopy(N, "--save", dir));
    assert.equal(first.code, 0, first.err);
    const f = lastJson(first.out);
    assert.equal(f.checkpoint, dir);
    assert.ok(f.sequence.maxSequenceLength >= 1, `solved ${f.sequence.maxSequenceLength} in ${N} steps`);
    for (const [i, e] of (f.epochs as EpochRecord[]).entries()) {
      for (const key of same) assert.equal(e[key], w.epochs[i][key], `epoch ${e.epoch} ${key}`);
    }

    const evaluated = await cli(["evaluate", "--load", dir, "--json"]);
    assert.equal(evaluated.code, 0, evaluated.err);
    const e = lastJson(evaluated.out);
    // The network's steps count its updates, one per truncation window: at least one per batch.
    assert.ok(e.steps >= N, `steps ${e.steps}`);
    assert.equal(e.dataset.name, "copy");
    assert.equal(e.sequence.maxSequenceLength, f.sequence.maxSequenceLength);
    assert.equal(e.sequence.level, f.epochs.at(-1).level);
    assert.ok(e.sequence.probe.steps > 0 && Number.isFinite(e.sequence.probe.bits), JSON.stringify(e.sequence));
    const said = await cli(["evaluate", "--load", dir]);
    assert.equal(said.code, 0, said.err);
    assert.match(
      said.out,
      new RegExp(
        `checkpoint \\S+ \\(${N / K} epochs, ${N} steps, ${e.steps} window updates\\) on copy: max sequence length ` +
          `${f.sequence.maxSequenceLength} {2}level ${e.sequence.level} {2}probe error [\\d.]+ bits at that level`,
      ),
    );

    // No --spec, --dataset or --batch-size: the checkpoint's stream says them.
    const resumed = await cli(["train", "--load", dir, "--steps", String(M), ...oneThread(), "--json"]);
    assert.equal(resumed.code, 0, resumed.err);
    const r = lastJson(resumed.out);
    assert.deepEqual(r.resumed, { checkpoint: dir, epochs: N / K, steps: e.steps });
    assert.equal(r.batchSize, 8);
    assert.deepEqual(r.dataset, { name: "copy" });
    const tail = (w.epochs as EpochRecord[]).slice(N / K);
    assert.deepEqual(r.epochs.map((x: EpochRecord) => x.epoch), tail.map((x) => x.epoch));
    for (const [i, x] of (r.epochs as EpochRecord[]).entries()) {
      for (const key of same) assert.equal(x[key], tail[i]![key], `epoch ${x.epoch} ${key}`);
    }
    assert.equal(r.sequence.maxSequenceLength, w.sequence.maxSequenceLength);
    assert.equal(r.sequence.syntheticGradientCosine, w.sequence.syntheticGradientCosine);
  });
  await cleanUp();
});

Deno.test("cli: train --load of a seq-mnist checkpoint keeps the validation split it was trained with", async () => {
  const root = await tempDir();
  const spec = await specFile(lstmSpec(28, 10, "softmax-cross-entropy", { units: 8 }));
  const common = ["--steps", "2", "--batch-size", "16", "--train-count", "200", "--test-count", "40", "--json"];
  const first = await cli(seqMnistTrain(spec, ...[
    "--validation-split",
    "0.25",
    "--save",
    `${root}/ck`,
    ...common,
  ]));
  assert.equal(first.code, 0, first.err);
  // No --validation-split: the checkpoint's 0.25 holds the same 50 images out, and they are evaluated.
  const rest = await cli(["train", "--load", `${root}/ck`, ...common]);
  assert.equal(rest.code, 0, rest.err);
  const epochs = lastJson(rest.out).epochs as EpochRecord[];
  assert.ok(epochs.every((e) => typeof e.validationAccuracy === "number"), JSON.stringify(epochs));
  await cleanUp();
});
