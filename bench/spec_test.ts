// `deno task bench --spec FILE` (bench/task.ts, then bench/spec.ts): the table of a spec's cases, and one line and
// exit status 2 for bad input.
import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);

async function task(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const command = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", "--allow-run", "bench/task.ts", ...args],
    cwd: root,
    env: { NO_COLOR: "1" },
  });
  const { code, stdout, stderr } = await command.output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

Deno.test("deno task bench --spec FILE prints a group of the spec's cases with their op counts", async () => {
  const { code, stdout, stderr } = await task(
    "--spec",
    "examples/bench_mlp.json",
    "--interfaces",
    "backprop,csg",
    "--batch-size",
    "4",
    "--threads",
    "1",
  );
  assert.equal(code, 0, stderr);
  assert.match(stdout, /group examples\/bench_mlp\.json/);
  assert.match(stdout, /\| (native|wasm): backprop step \(\d+ ops\) +\|/);
  assert.match(stdout, /\| (native|wasm): csg step \(\d+ ops\) +\|/);
  assert.match(stdout, /summary/);
});

Deno.test("deno task bench --spec refuses bad input in one line, with exit status 2", async () => {
  for (
    const [args, message] of [
      [["--spec", "examples/bench_mlp.json", "--interfaces", "sgg"], /unknown interface "sgg"/],
      [["--spec", "examples/bench_mlp.json", "--batch-size", "0"], /batchSize must be a whole number .* got 0/],
      [["--spec", "no_such_spec.json"], /cannot read the spec no_such_spec\.json/],
      [["--interfaces", "sg"], /--spec FILE is required/],
      [["--spec", "examples/bench_mlp.json", "--batchsize", "4"], /batchsize/],
    ] as [string[], RegExp][]
  ) {
    const { code, stderr } = await task(...args);
    assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
    assert.match(stderr, message);
    assert.match(stderr, /^bench: /m);
  }
});
