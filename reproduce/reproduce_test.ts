import assert from "node:assert/strict";
import { writeTinySpecs } from "../tests/_reproduce_fixture.ts";
import { loadDataset } from "../datasets/load.ts";
import { parseTableConfig, TableConfigError } from "./config.ts";
import { reproduceTable, tableRuns } from "./table.ts";
import type { ConfigResult } from "../report/compare.ts";

const mnist = await loadDataset("mnist", { trainCount: 384, testCount: 128 });
const loadData = () => Promise.resolve(mnist);

async function tableIn(dir: string) {
  await writeTinySpecs(dir);
  return parseTableConfig(
    {
      name: "tiny",
      seeds: [0, 1],
      epochs: 3,
      batchSize: 64,
      target: 0.5,
      rows: [{ spec: "bp.json", dataset: "mnist" }, { spec: "csg.json", dataset: "mnist" }],
    },
    `${dir}/tiny.json`,
    dir,
  );
}

// What must not depend on stopping and going on: every epoch's numbers but its times. The interfaces' running means
// (a synthesizer's loss) of the epoch that was stopped are summed on the device in two parts instead of one: they
// agree to float32 rounding, and are rounded to 5 significant digits here.
const numbers = (r: ConfigResult) =>
  r.epochs.map((e) => [
    e.epoch,
    e.loss,
    e.accuracy,
    e.testLoss,
    e.testAccuracy,
    JSON.stringify(e.interfaces ?? [], (k, v) => k.endsWith("Loss") ? Number(v.toPrecision(5)) : v),
  ]);

Deno.test("reproduceTable() stopped inside a run and started again ends exactly as a run that was never stopped", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dni-reproduce-" });
  try {
    const table = await tableIn(dir);
    const whole = await reproduceTable(table, { out: `${dir}/whole`, loadData });
    assert.equal(whole.done, 4);
    assert.ok(whole.report !== undefined);

    const controller = new AbortController();
    const first = await reproduceTable(table, {
      out: `${dir}/stopped`,
      loadData,
      signal: controller.signal,
      // stop in the second run (csg, seed 0), inside its second epoch
      onBatchEnd: (run, info) => {
        if (run.row.name.startsWith("csg") && info.epoch === 2 && info.batch === 3) controller.abort();
      },
    });
    assert.equal(first.report, undefined);
    assert.equal(first.done, 1);
    assert.deepEqual([first.stopped!.run.row.name, first.stopped!.epoch, first.stopped!.batch], ["csg-mnist", 2, 3]);
    const lines: string[] = [];
    const second = await reproduceTable(table, { out: `${dir}/stopped`, loadData, onProgress: (l) => lines.push(l) });
    assert.equal(second.done, 4);
    // the done run is not trained again; the stopped one goes on
    assert.ok(!lines.some((l) => /bp-mnist, seed 0$/.test(l) && /starting|going on/.test(l)), lines.join("\n"));
    assert.ok(lines.some((l) => /going on with csg-mnist, seed 0$/.test(l)), lines.join("\n"));
    assert.match(lines.at(-1)!, /4 of 4 runs done: wrote /);
    assert.deepEqual(second.report!.results.map(numbers), whole.report!.results.map(numbers));
    assert.deepEqual(second.report!.results.map((r) => [r.name, r.seed]), [
      ["bp-mnist", 0],
      ["csg-mnist", 0],
      ["bp-mnist", 1],
      ["csg-mnist", 1],
    ]);
    assert.equal(second.report!.spread!.length, 2);
    assert.match(await Deno.readTextFile(`${dir}/stopped/report.md`), /## Across seeds/);
    // a third start finds everything done and only writes the report again
    const third = await reproduceTable(table, { out: `${dir}/stopped`, loadData });
    assert.deepEqual(third.report!.results.map(numbers), whole.report!.results.map(numbers));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reproduceTable() with `only` trains that one run and writes no report", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dni-reproduce-" });
  try {
    const table = await tableIn(dir);
    const outcome = await reproduceTable(table, { out: `${dir}/out`, loadData, only: 2 });
    assert.equal(outcome.report, undefined);
    const runs = tableRuns(table, `${dir}/out`);
    const done = await Promise.all(runs.map((r) => Deno.stat(`${r.dir}/result.json`).then(() => true, () => false)));
    assert.deepEqual(done, [false, false, true, false]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseTableConfig() names the field and the value of a bad config", () => {
  const bad: [unknown, RegExp][] = [
    [[], /the config must be a JSON object, got \[\]/],
    [{ name: "a b", rows: [] }, /"name" must be a name of letters.*got "a b"/],
    [{ name: "t", rows: [{ spec: "a.json", dataset: "mnist" }] }, /rows\[0\] trains mnist: it needs "epochs"/],
    [
      { name: "t", epochs: 1, rows: [{ spec: "a.json", dataset: "cifar" }] },
      /rows\[0\]\.dataset must be one of .*got "cifar"/,
    ],
    [{ name: "t", epochs: 1, seeds: [1, 1], rows: [{ spec: "a.json", dataset: "mnist" }] }, /"seeds" repeats a seed/],
    [
      { name: "t", epochs: 1, rows: [{ spec: "a.json", dataset: "mnist", lr: 1 }] },
      /rows\[0\] has an unknown field "lr"/,
    ],
    [{ name: "t", rows: [{ spec: "a.json", dataset: "copy", steps: 1500, stepsPerEpoch: 1000 }] }, /multiple of/],
    [
      { name: "t", epochs: 0, rows: [{ spec: "a.json", dataset: "mnist" }] },
      /"rows\[0\]\.epochs" must be an integer >= 1, got 0/,
    ],
    [{
      name: "t",
      epochs: 1,
      rows: [{ spec: "a.json", dataset: "mnist" }, { spec: "b/a.json", dataset: "mnist" }],
    }, /two rows are named "a-mnist"/],
  ];
  for (const [config, message] of bad) {
    assert.throws(() => parseTableConfig(config, "t.json", "."), (e: Error) => {
      assert.ok(e instanceof TableConfigError);
      assert.match(e.message, /^Reproduction config t\.json: /);
      assert.match(e.message, message);
      return true;
    });
  }
  const copy = parseTableConfig(
    { name: "c", seeds: 2, rows: [{ spec: "x.json", dataset: "copy", truncation: 3, steps: 4000 }] },
    "c.json",
    "tables",
  );
  assert.deepEqual(copy.rows[0], {
    name: "x T=3",
    spec: "tables/x.json",
    dataset: "copy",
    workers: 1,
    steps: 4000,
    stepsPerEpoch: 1000,
    truncation: 3,
    batchSize: 32,
  });
  assert.deepEqual(copy.seeds, [0, 1]);
});
