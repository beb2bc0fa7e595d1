import assert from "node:assert/strict";
import { copyTruncationFigure } from "./copy_truncation.ts";
import { cosineFigure } from "./cosine.ts";
import { oneStepFigure } from "./one_step.ts";
import { pipelineFigure } from "./pipeline_timeline.ts";
import { FIGURES } from "./registry.ts";
import { replayPipeline } from "./_replay.ts";
import { speedupFigure } from "./speedup.ts";

const root = new URL("../", import.meta.url);

/** Throws unless `svg` is one well-formed <svg> element: tags balanced, no NaN or undefined in it. */
function assertSvg(svg: string) {
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'), svg.slice(0, 60));
  assert.doesNotMatch(svg, /NaN|undefined|Infinity/);
  const open: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    if (m[3]) continue;
    if (!m[1]) open.push(m[2]!);
    else assert.equal(open.pop(), m[2], `</${m[2]}> closes <${open.at(-1)}>`);
  }
  assert.deepEqual(open, []);
}

// An SVG document with its layout whitespace dropped (`deno fmt` indents and wraps the committed ones).
const normal = (svg: string) => svg.replace(/\s+/g, " ").replace(/\s*(\/?>)/g, "$1").replace(/>\s+</g, "><").trim();

// The (stroke, dash) pairs of a chart's lines.
const strokes = (svg: string) =>
  [...svg.matchAll(/<polyline[^>]*?stroke="([^"]*)"[^>]*?(?:stroke-dasharray="([^"]*)")?[^>]*\/>/g)].map((m) =>
    `${m[1]} ${m[2] ?? ""}`
  );

const steps = [50, 100, 150];
const cosine = {
  spec: "FCN-3",
  seed: 0,
  batchSize: 128,
  steps: 150,
  every: 50,
  trainCount: 100,
  testCount: 10,
  runs: ["sg", "csg", "local-loss"].map((i) => ({
    interface: i,
    steps,
    cosines: [[0.1, 0.2, 0.3], [0.2, 0.3, 0.4], [0.5, 0.4, 0.3]],
    testAccuracy: 0.9,
    seconds: 1,
  })),
};

Deno.test("figure makers draw well-formed SVG from small synthetic data, each series in its own style", () => {
  const c = cosineFigure(cosine);
  assertSvg(c);
  assert.equal(strokes(c).length, 9);
  for (let p = 0; p < 3; p++) assert.equal(new Set(strokes(c).slice(3 * p, 3 * p + 3)).size, 3);

  const series = ["a csg", "a local-loss", "b csg", "b local-loss"].flatMap((model) =>
    ["loopback", "1g"].map((link) => ({
      model,
      link,
      backpropMs: 1,
      hosts: [1, 2, 4],
      seconds: [3, 2, 1],
      speedup: [0.5, 1, 2],
      range: [[0.4, 0.6], [0.9, 1.1], [1.8, 2.2]] as [number, number][],
    }))
  );
  const d = speedupFigure({
    batchesPerEpoch: 3,
    staleness: 1,
    wakeMs: 0,
    overheadMs: 0,
    profileBatches: 1,
    rounds: 1,
    series,
  });
  assertSvg(d);
  const ds = strokes(d);
  assert.equal(ds.length, 10, "2 panels of 4 series and the 3x line");
  for (const panel of [ds.slice(0, 5), ds.slice(5)]) assert.equal(new Set(panel).size, 5, "all different in a panel");

  const e = copyTruncationFigure({
    steps: 10,
    seed: 0,
    sources: [],
    series: [{ task: "copy", method: "BPTT", truncation: [2, 3], longest: [2, 2] }, {
      task: "copy",
      method: "sg",
      truncation: [2, 3],
      longest: [2, 3],
    }],
  });
  assertSvg(e);
  assert.equal(new Set(strokes(e)).size, 2);

  const view = (i: string, cos: number) => ({
    interface: i,
    layers: [256, 256, 256, 10].map((units) => ({ units, rms: 1 })),
    gradients: [0, 1, 2].map(() => ({ cosine: cos, normRatio: 1 })),
    testAccuracy: 0.5,
  });
  const a = oneStepFigure({
    spec: "FCN-3",
    steps: 1,
    seed: 0,
    probe: 8,
    views: [view("backprop", 1), view("sg", 0.01), view("csg", 0.5), view("local-loss", 0.4)],
  });
  assertSvg(a);
  for (const s of ["ĝ = M(h), no waiting", "ĝ = M(h, y), no waiting", "own classifier", "cosine 0.50"]) {
    assert.ok(a.includes(s), s);
  }

  const replay = [{ forwardMs: 2, tailMs: 0.5, messageMs: 1 }, { forwardMs: 3, tailMs: 0.5, messageMs: 0 }];
  const runs = [0, 1].map((staleness) => {
    const { spells, totalMs } = replayPipeline(replay, { batches: 4, staleness });
    return {
      staleness,
      measuredMsPerBatch: totalMs / 4,
      replayMsPerBatch: totalMs / 4,
      stages: [{ lo: 0, hi: 0, busyMs: 3, waitingMs: 1, times: {} }, {
        lo: 1,
        hi: 3,
        busyMs: 3,
        waitingMs: 1,
        times: {},
      }],
      replay,
      spells,
    };
  });
  const b = pipelineFigure({ spec: "FCN-3", batchesPerEpoch: 4, wakeMs: 0, forwardShare: 0.7, runs });
  assertSvg(b);
  assert.match(b, /stage 1 \(layers 1-3\)/);
});

Deno.test("replayPipeline() at staleness 0 takes turns, at staleness 1 overlaps the stages", () => {
  const stages = [{ forwardMs: 2, tailMs: 0, messageMs: 1 }, { forwardMs: 2, tailMs: 0, messageMs: 0 }];
  // Staleness 0: stage 0's forward, stage 1's, then stage 0's message, each batch in turn: 5 ms a batch.
  assert.equal(replayPipeline(stages, { batches: 10, staleness: 0 }).totalMs, 2 + 10 * 2 + 9 * 3);
  // Staleness 1: stage 0 is busy 3 ms a batch, stage 1 2 ms: stage 0 sets the pace.
  const one = replayPipeline(stages, { batches: 10, staleness: 1 }).totalMs;
  assert.ok(one < 10 * 3.5, `${one}`);
});

Deno.test("every figure in docs/figures/ is drawn from its data, and embedded in docs/figures.md with its command", async () => {
  const page = await Deno.readTextFile(new URL("docs/figures.md", root));
  const svgs = [...Deno.readDirSync(new URL("docs/figures/", root))].map((e) => e.name).filter((n) =>
    n.endsWith(".svg")
  );
  assert.deepEqual(svgs.sort(), FIGURES.map((f) => `${f.name}.svg`).sort());
  for (const f of FIGURES) {
    assert.match(page, new RegExp(`!\\[[^\\]]+\\]\\(figures/${f.name}\\.svg\\)`), `${f.name}.svg is embedded`);
    assert.ok(page.includes(`deno task figures --only ${f.key}`), `the command for ${f.name}`);
    const data = JSON.parse(await Deno.readTextFile(new URL(`docs/figures/${f.name}.json`, root)));
    const svg = await Deno.readTextFile(new URL(`docs/figures/${f.name}.svg`, root));
    assert.equal(
      normal(f.draw(data)),
      normal(svg),
      `docs/figures/${f.name}.svg is not what the code draws from its data now: deno task figures --redraw`,
    );
  }
});
