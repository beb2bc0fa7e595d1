// `reproduce CONFIG --parallel 2` as a user meets it: a child process of the CLI, stopped with Ctrl-C (SIGINT) while
// its first two runs train, exits 130 saying how many runs are done; the same command then goes on, trains only what
// is left, and writes the table's report with every row over its three seeds. A bad config is one line and status 1.
import assert from "node:assert/strict";
import { writeTinySpecs } from "./_reproduce_fixture.ts";
import { main } from "../cli.ts";

const root = new URL("..", import.meta.url).pathname;

async function table(dir: string): Promise<string> {
  await writeTinySpecs(dir);
  const config = {
    name: "tiny",
    seeds: 3,
    epochs: 12,
    batchSize: 64,
    target: 0.5,
    trainCount: 6000,
    testCount: 256,
    rows: [{ spec: "bp.json", dataset: "mnist" }, { spec: "csg.json", dataset: "mnist" }],
  };
  await Deno.writeTextFile(`${dir}/table.json`, JSON.stringify(config));
  return `${dir}/table.json`;
}

async function reproduce(args: string[], stopWhen?: RegExp): Promise<{ code: number; output: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli.ts", "reproduce", ...args],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "", sent = false;
  const decoder = new TextDecoder();
  const read = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      output += decoder.decode(chunk);
      if (stopWhen !== undefined && !sent && stopWhen.test(output)) {
        sent = true;
        setTimeout(() => child.kill("SIGINT"), 300);
      }
    }
  };
  await Promise.all([read(child.stdout), read(child.stderr)]);
  return { code: (await child.status).code, output };
}

Deno.test("reproduce --parallel 2: Ctrl-C saves the runs in flight, and the same command finishes the table", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dni-reproduce-cli-" });
  try {
    const config = await table(dir), out = `${dir}/out`;
    const stopped = await reproduce([config, "--out", out, "--parallel", "2"], /started csg-mnist, seed 0/);
    assert.equal(stopped.code, 130, stopped.output);
    assert.match(
      stopped.output,
      /^interrupted: \d of 6 runs done, the runs in flight saved; the same command goes on$/m,
    );
    assert.ok(!(await exists(`${out}/report.json`)), "no report before every run is done");
    const finished = await reproduce([config, "--out", out, "--parallel", "2"]);
    assert.equal(finished.code, 0, finished.output);
    assert.match(finished.output, /6 of 6 runs done|\[6\/6 runs done/);
    // the runs done before the stop were not started again
    const doneBefore = Number(stopped.output.match(/interrupted: (\d) of 6/)![1]);
    assert.equal([...finished.output.matchAll(/: started /g)].length, 6 - doneBefore, finished.output);
    const report = JSON.parse(await Deno.readTextFile(`${out}/report.json`));
    assert.deepEqual(report.options.seeds, [0, 1, 2]);
    assert.equal(report.results.length, 6);
    assert.deepEqual(report.spread.map((r: { name: string; seeds: number[] }) => [r.name, r.seeds]), [
      ["bp-mnist", [0, 1, 2]],
      ["csg-mnist", [0, 1, 2]],
    ]);
    for (const r of report.results) assert.equal(r.epochs.length, 12);
    assert.match(await Deno.readTextFile(`${out}/report.md`), /## Conclusion over 3 seeds/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reproduce with a bad config or flag says what is wrong in one line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dni-reproduce-cli-" });
  try {
    await Deno.writeTextFile(`${dir}/bad.json`, JSON.stringify({ name: "t", epochs: 1, rows: [{ spec: "x.json" }] }));
    let err = "";
    const io = { out: () => {}, err: (s: string) => err += s, live: false };
    assert.equal(await main(["reproduce", `${dir}/bad.json`], io), 1);
    assert.match(err, /^error: Reproduction config .*bad\.json: rows\[0\]\.dataset must be one of .*got undefined\n$/);
    err = "";
    assert.equal(await main(["reproduce"], io), 2);
    assert.match(err, /reproduce needs a table config/);
    err = "";
    await Deno.writeTextFile(`${dir}/broken.json`, "{");
    assert.equal(await main(["reproduce", `${dir}/broken.json`], io), 1);
    assert.match(err, /broken\.json: is not valid JSON/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}
