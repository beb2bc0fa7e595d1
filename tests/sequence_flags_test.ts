// Every train flag that does not apply to a sequence task is refused with the reason (none is silently ignored),
// and the sequence-only flags are refused on a feed-forward dataset: one `error:` line and exit 2. Mismatched specs
// and bad values of the sequence flags are one clear line too.
import assert from "node:assert/strict";
import { cleanUp, example, lstmSpec, refused, specFile, tempDir } from "./_sequence_cli.ts";

// Workers and NATS stages are refused on the copy tasks, with a reason (its words, and whether seq-mnist and text
// run on Workers, are the parallel tests' business).
const REASON = /\S/;

// Each flag, a value, and why each kind of task refuses it (left out: the task takes it).
const FLAGS: [string[], Partial<Record<"copy" | "repeat-copy" | "seq-mnist" | "text", RegExp>>][] = [
  [["--workers", "2"], { copy: REASON, "repeat-copy": REASON }],
  [["--staleness", "1"], { copy: REASON, "repeat-copy": REASON }],
  [["--nats", "nats://127.0.0.1:4222", "--run", "r", "--spawn"], { copy: REASON, "repeat-copy": REASON }],
  [["--validation-split", "0.1"], {
    copy: /copy is generated: there is no split to hold out/,
    "repeat-copy": /repeat-copy is generated: there is no split to hold out/,
  }],
  [["--patience", "2"], {
    copy: /copy has no validation part to watch/,
    "repeat-copy": /repeat-copy has no validation part to watch/,
  }],
  [["--data-dir", "/tmp"], { copy: /reads no dataset files/, "repeat-copy": /reads no dataset/, text: /reads no/ }],
  [["--train-count", "100"], { copy: /no training split/, "repeat-copy": /no training split/, text: /no training/ }],
  [["--test-count", "100"], { copy: /has no test split/, "repeat-copy": /has no test split/, text: /no test split/ }],
  [["--threshold", "0.2"], { "seq-mnist": /a copy task's curriculum option/, text: /a copy task's curriculum/ }],
  [["--start-length", "2"], { "seq-mnist": /a copy task's curriculum option/, text: /a copy task's curriculum/ }],
  [["--sequence-length", "10"], {
    copy: /the text task's stream length/,
    "repeat-copy": /the text task's stream length/,
    "seq-mnist": /the text task's stream length/,
  }],
];

async function tasks(): Promise<[keyof typeof FLAGS[0][1], string[]][]> {
  const text = `${await tempDir()}/corpus.txt`;
  await Deno.writeTextFile(text, "the cat sat on the mat. ".repeat(40));
  return [
    ["copy", ["--spec", example("copy_lstm_dni.json"), "--dataset", "copy"]],
    ["repeat-copy", ["--spec", example("repeat_copy_lstm_dni.json"), "--dataset", "repeat-copy"]],
    ["seq-mnist", ["--spec", example("seq_mnist_lstm_dni.json"), "--dataset", "seq-mnist"]],
    ["text", ["--spec", example("text_lstm2_sg.json"), "--dataset", `text:${text}`]],
  ];
}

Deno.test("cli train on a sequence task refuses each flag that does not apply, naming it and why", async () => {
  let count = 0;
  for (const [task, args] of await tasks()) {
    for (const [flag, why] of FLAGS) {
      const refusal = why[task];
      if (refusal === undefined) continue;
      const dataset = task === "text" ? "text" : task;
      const pattern = new RegExp(`^error: ${flag[0]} does not apply to --dataset ${dataset}: .*${refusal.source}`);
      await refused(["train", ...args, "--steps", "1", ...flag], 2, pattern);
      count++;
    }
    await refused(
      ["train", ...args, "--epochs", "2", "--steps", "10"],
      2,
      /^error: give --epochs or a budget of --steps, not both$/,
    );
  }
  assert.equal(count, FLAGS.reduce((n, [, why]) => n + Object.keys(why).length, 0));
  await cleanUp();
});

Deno.test("cli train on a feed-forward dataset refuses the sequence-only flags", async () => {
  const ff = example("fcn2_backprop.json");
  const only = ["--truncation", "--threshold", "--start-length", "--sequence-length", "--log-every"];
  for (const flag of only) {
    await refused(
      ["train", "--spec", ff, "--dataset", "mnist", flag, "3"],
      2,
      new RegExp(
        `^error: ${flag} applies to sequence tasks \\(--dataset copy \\| repeat-copy \\| seq-mnist \\| text:PATH\\) only$`,
      ),
    );
  }
  await refused(
    ["train", "--spec", ff, "--epochs", "2", "--steps", "10"],
    2,
    /^error: give --epochs or a budget of --steps, not both$/,
  );
});

Deno.test("cli sequence tasks: mismatched specs and bad values are one clear line", async () => {
  const dni = example("copy_lstm_dni.json");
  const wide = await specFile(lstmSpec(10, 8, "sigmoid-cross-entropy"));
  const cases: [string[], 1 | 2, RegExp][] = [
    [["train", "--spec", dni], 2, /is a sequence spec.*--dataset copy \| repeat-copy \| seq-mnist \| text:PATH/],
    [
      ["train", "--spec", example("fcn2_backprop.json"), "--dataset", "copy"],
      2,
      /--dataset copy needs a sequence spec/,
    ],
    [["train", "--spec", dni, "--dataset", "copy", "--truncation", "0"], 2, /--truncation must be an integer >= 1/],
    [["train", "--spec", dni, "--dataset", "copy", "--threshold", "-1"], 2, /--threshold must be a number of bits > 0/],
    [["train", "--spec", dni, "--dataset", "text:"], 2, /text:PATH needs a file path/],
    [["train", "--spec", dni, "--dataset", "text:/no/such/file.txt"], 1, /Dataset file \/no\/such\/file.txt: does not/],
    [
      ["train", "--spec", wide, "--dataset", "copy"],
      1,
      /input \[10\] per step.*does not fit copy: it needs input \[9\]/,
    ],
    [
      ["train", "--spec", example("text_lstm2_sg.json"), "--dataset", "copy"],
      2,
      /the spec says "vocabulary": it takes its width from a text task/,
    ],
    [["compare", "--datasets", "copy", "--specs", dni, "--truncations", "2,x"], 2, /--truncations: "x" is not/],
  ];
  for (const [args, code, pattern] of cases) await refused(args, code, pattern);
  await cleanUp();
});
