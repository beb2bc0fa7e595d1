import assert from "node:assert/strict";
import { editDistance, parseFlags, UsageError } from "./args.ts";

const options = {
  epochs: { type: "string" },
  "batch-size": { type: "string" },
  seed: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

function usageError(args: string[], command?: string): string {
  try {
    parseFlags(args, options, command);
  } catch (error) {
    assert.ok(error instanceof UsageError, String(error));
    return error.message;
  }
  assert.fail(`no error for ${args.join(" ")}`);
}

Deno.test("editDistance() counts insertions, deletions and substitutions", () => {
  assert.equal(editDistance("epoch", "epochs"), 1);
  assert.equal(editDistance("batchsize", "batch-size"), 1);
  assert.equal(editDistance("sede", "seed"), 2);
  assert.equal(editDistance("", "json"), 4);
  assert.equal(editDistance("json", "json"), 0);
});

Deno.test("parseFlags() names an unknown option with the command and the closest known option, in one line", () => {
  assert.equal(usageError(["--epoch", "3"], "train"), 'Unknown option "--epoch" for "train" (did you mean --epochs?)');
  assert.equal(
    usageError(["--batchsize=8"], "train"),
    'Unknown option "--batchsize" for "train" (did you mean --batch-size?)',
  );
  assert.equal(usageError(["--jsn"], "evaluate"), 'Unknown option "--jsn" for "evaluate" (did you mean --json?)');
  // Nothing close: no suggestion.
  assert.equal(usageError(["--learning-rate", "0.1"], "train"), 'Unknown option "--learning-rate" for "train"');
  assert.equal(usageError(["-x"], "train"), 'Unknown option "-x" for "train"');
  assert.equal(usageError(["--epoch"]), 'Unknown option "--epoch" (did you mean --epochs?)');
  assert.doesNotMatch(usageError(["--epoch", "3"], "train"), /\n|positional/);
});

Deno.test("parseFlags() takes values that look like options, negative numbers and short flags", () => {
  assert.deepEqual({ ...parseFlags(["--seed", "-1", "--epochs=2", "-h"], options, "train") }, {
    seed: "-1",
    epochs: "2",
    help: true,
  });
  assert.equal(usageError(["--seed", "1", "extra"], "train"), 'Unexpected argument "extra"');
});
