// The numbers the README and the docs quote, tied to where they come from: a committed report (docs/*/report.md, made
// from its report.json by `deno task compare`) or the table a page shows under the command that measured it. Each
// claim is a quote with `{}` holes; the holes are filled from the source and the filled quote must appear in the page
// (whitespace collapsed, so a line break inside it does not matter). A page that changes a number, or a source that
// changes under a page, fails here; so does one page quoting another's number differently.
import assert from "node:assert/strict";
import {
  acrossSeeds,
  figure,
  fixed,
  type Json,
  race,
  read,
  report,
  reportJson,
  simulated,
  speed,
  squash,
  tableWith,
} from "./_doc_sources.ts";

interface Claim {
  page: string;
  quote: string;
  values: () => Promise<string[]>;
}

const defaults = "mnist-fcn3-defaults";
const CLAIMS: Claim[] = [
  {
    page: "docs/race.md",
    quote: "`sg` (DNI without the labels) ends 20 epochs of MNIST FCN-3 well below backprop ({} against {}",
    values: async () => [
      await report(defaults, "fcn3_sg-mnist", "final test acc"),
      await report(defaults, "fcn3_backprop-mnist", "final test acc"),
    ],
  },
  ...([
    ["backprop", "fcn3_backprop-mnist", "{}"],
    ["`csg`", "fcn3_csg-mnist", "**{}**"],
    ["`local-loss`", "fcn3_local_loss-mnist", "{}"],
  ] as const).map(([method, config, acc]): Claim => ({
    page: "docs/results.md",
    quote: `| ${method} | ${acc} | {} ({}) |`,
    values: async () => [
      await report(defaults, config, "final test acc"),
      await report(defaults, config, "time to 97.00%"),
      await report(defaults, config, "epochs to 97.00%"),
    ],
  })),
  {
    page: "docs/faq.md",
    quote: "{} against backprop's {} (MNIST)",
    values: async () => [
      await report(defaults, "fcn3_csg-mnist", "final test acc"),
      await report(defaults, "fcn3_backprop-mnist", "final test acc"),
    ],
  },
  {
    page: "README.md",
    quote: "`csg` ends at {} ± {} test accuracy, within the spread of backprop's {} ± {}, but runs at {}x backprop's " +
      "samples/s and takes {} s to 97% against {} s; plain `sg` stays at {} ± {}",
    values: async () => {
      const rows = (await reportJson("docs/reproduction/mnist-fcn3")).spread;
      const row = (i: string) => rows.find((r: Json) => r.interface === i);
      const [bp, sg, csg] = [row("backprop"), row("sg"), row("csg")];
      assert.equal(csg.vsBackprop.measureBeats || csg.vsBackprop.measureLoses, false, "csg within backprop's spread");
      const pct = (s: Json) => [`${(100 * s.mean).toFixed(2)}%`, (100 * s.sd).toFixed(2)];
      return [
        ...pct(csg.testAccuracy),
        ...pct(bp.testAccuracy),
        fixed(2)(csg.samplesPerSecond.mean / bp.samplesPerSecond.mean),
        fixed(1)(csg.secondsToTarget.mean),
        fixed(1)(bp.secondsToTarget.mean),
        ...pct(sg.testAccuracy),
      ];
    },
  },
  ...["mnist-race", "mnist-fcn3", "mnist-fcn-depth"].map((dir): Claim => ({
    page: "docs/reproduction.md",
    quote: "{}",
    values: async () => [await acrossSeeds(`docs/reproduction/${dir}`)],
  })),
  ...([
    ["README.md", "`csg` on 2 Workers reached it in none of the {} ({} ± {} after 3 epochs)"],
    ["docs/reproduction.md", "`csg` on 2 Workers reached 97% in none of the {} seeds in 3 epochs ({} ± {}:"],
  ] as const).map(([page, quote]): Claim => ({
    page,
    quote,
    values: async () => {
      const csg = (await reportJson("docs/reproduction/mnist-race")).spread.find((r: Json) => r.interface === "csg");
      assert.equal(csg.reached, 0);
      const a = csg.testAccuracy;
      return [String(csg.seeds.length), `${(100 * a.mean).toFixed(2)}%`, (100 * a.sd).toFixed(2)];
    },
  })),
  ...["README.md", "docs/race.md"].map((page): Claim => ({
    page,
    quote: "first to 97% in {} of {} (median {}x backprop's speed to it)",
    values: async () => {
      const v = (await reportJson("docs/reproduction/mnist-race")).spread[1].vsBackprop;
      return [v.wins, v.pairs, v.medianRatio.toFixed(2)];
    },
  })),
  {
    page: "docs/race.md",
    quote: "reached 97% before one-thread backprop in {} of these {} runs (median {}x, range {}-{}x)",
    values: race,
  },
  {
    page: "README.md",
    quote:
      "plain `sg` falls from {} at 3 hidden layers to {} at 6, while `csg` stays at {}-{}, above backprop's {}-{} " +
      "beyond the spread at every depth",
    values: async () => {
      const rows = (await reportJson("docs/reproduction/mnist-fcn-depth")).spread as Json[];
      const acc = (i: string) => rows.filter((r) => r.interface === i).map((r) => r.testAccuracy.mean as number);
      const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
      const csg = rows.filter((r) => r.interface === "csg");
      assert.ok(csg.every((r) => r.vsBackprop.measureBeats), "csg beats backprop beyond the spread at every depth");
      const [sg, c, bp] = [acc("sg"), acc("csg"), acc("backprop")];
      return [
        pct(sg[0]!),
        pct(sg.at(-1)!),
        pct(Math.min(...c)),
        pct(Math.max(...c)),
        pct(Math.min(...bp)),
        pct(Math.max(...bp)),
      ];
    },
  },
  ...[3, 4, 5, 6].map((depth): Claim => ({
    page: "docs/reproduction.md",
    quote: `| ${depth} | {} | {} | {} | {} |`,
    values: async () => {
      const rows = (await reportJson("docs/reproduction/mnist-fcn-depth")).spread as Json[];
      return ["backprop", "sg", "csg", "local-loss"].map((i) => {
        const a = rows.find((r) => r.name === `fcn${depth}-${i}-bn-mnist`).testAccuracy;
        return `${(100 * a.mean).toFixed(2)}% ± ${(100 * a.sd).toFixed(2)}`;
      });
    },
  })),
  ...figureClaims(),
  {
    page: "README.md",
    quote: "8 x 1024 MLP on 8 or more hosts ({} on loopback, {} on 1 Gbit/s); FCN-3 reaches {} at best, on 4 hosts",
    values: async () => [
      await simulated("MLP 8 x 1024 `csg`", "8+", "loopback"),
      await simulated("MLP 8 x 1024 `csg`", "8+", "1 Gbit/s, 0.2 ms"),
      await simulated("FCN-3 `csg`", "4+", "loopback"),
    ],
  },
  ...([
    ["MNIST FCN-3, batch 128", ""],
    ["MNIST CNN (2 conv + batch norm + pool)", "cnn "],
    ["sequential MNIST, LSTM 128, full BPTT", "lstm seq-mnist "],
  ] as const).map(([model, prefix]): Claim => ({
    page: "README.md",
    quote: `| ${model} | {} | {} | {} | {} |`,
    values: async () => {
      const step = prefix === "lstm seq-mnist " ? "lstm seq-mnist step" : `${prefix}backprop step`;
      return [
        await speed(`${step}: dni native`),
        await speed(`${step}: dni wasm`),
        await speed(`${step}: PyTorch`),
        await speed(`${step}: dni native`, "time ÷ PyTorch's"),
      ];
    },
  })),
];

// The README's and docs/figures.md's figure captions, from the data each figure drew.
function figureClaims(): Claim[] {
  const cos = (x: number) => x.toFixed(2);
  const oneStep = async (i: string, key = "cosine") =>
    (await figure("one-step")).views.find((v: Json) => v.interface === i).gradients.map((g: Json) => g[key]);
  return [
    {
      page: "docs/figures.md",
      quote:
        "synthetic gradients point almost nowhere ({}, {}, {} from the bottom layer up) and are small ({}-{}x the " +
        "true norm); `csg`'s, which see the labels, reach {}, {}, {}; the local losses' {}, {}, {}",
      values: async () => {
        const norms = (await oneStep("sg", "normRatio")) as number[];
        return [
          ...(await oneStep("sg")).map(cos),
          cos(Math.min(...norms)),
          cos(Math.max(...norms)),
          ...(await oneStep("csg")).map(cos),
          ...(await oneStep("local-loss")).map(cos),
        ];
      },
    },
    {
      page: "docs/figures.md",
      quote: "stage 0 waited {} ms of every batch and the pipeline took {} ms a batch",
      values: async () => {
        const run = (await figure("pipeline-timeline")).runs[0];
        return [fixed(2)(run.stages[0].waitingMs), fixed(2)(run.measuredMsPerBatch)];
      },
    },
    {
      page: "docs/figures.md",
      quote: "`csg` on FCN-3 stops at {}x",
      values: async () => {
        const s = (await figure("speedup")).series.find((s: Json) => s.model === "FCN-3 csg" && s.link === "loopback");
        return [fixed(2)(Math.max(...s.speedup))];
      },
    },
    {
      page: "README.md",
      quote: "`sg`'s predictions point almost nowhere ({}, {}, {} from the bottom layer up), `csg`'s, which see the " +
        "labels, {}, {}, {}",
      values: async () => {
        const views = (await figure("one-step")).views;
        const of = (i: string) => views.find((v: Json) => v.interface === i).gradients.map((g: Json) => cos(g.cosine));
        return [...of("sg"), ...of("csg")];
      },
    },
    {
      page: "README.md",
      quote:
        "`csg` on FCN-3 stops at {}x (4 modules: more hosts have nothing to run); on the 8 x 1024 MLP it reaches " +
        "{}x on 8 hosts, {}x over 1 Gbit/s; `local-loss`, which needs no message, passes 3x from {} hosts",
      values: async () => {
        const series = (await figure("speedup")).series;
        const at = (model: string, link: string) => series.find((s: Json) => s.model === model && s.link === link);
        const fcn = at("FCN-3 csg", "loopback"), mlp = at("MLP 8 x 1024 csg", "loopback");
        const far = at("MLP 8 x 1024 csg", "1 Gbit/s, 0.2 ms"), ll = at("MLP 8 x 1024 local-loss", "loopback");
        return [
          fixed(2)(Math.max(...fcn.speedup)),
          fixed(2)(mlp.speedup.at(-1)),
          fixed(2)(far.speedup.at(-1)),
          String(ll.hosts[ll.speedup.findIndex((x: number) => x > 3)]),
        ];
      },
    },
    {
      page: "README.md",
      quote:
        "at staleness 0 stage 0 waits for each batch's message (orange) and the stages take turns, {} ms a batch; " +
        "at staleness 1 stage 0 runs a batch ahead, the stages overlap, and a batch takes {} ms",
      values: async () => (await figure("pipeline-timeline")).runs.map((r: Json) => fixed(2)(r.measuredMsPerBatch)),
    },
    {
      page: "README.md",
      quote:
        "`sg` starts with some signal and loses it (top layer {} to {}) as the output layer fits; `csg` keeps it " +
        "({} at the top); `local-loss` gains it ({}-{})",
      values: async () => {
        const runs = (await figure("cosine")).runs;
        const run = (i: string) => runs.find((r: Json) => r.interface === i).cosines as number[][];
        const sg = run("sg"), csg = run("csg"), ll = run("local-loss").map((c) => c.at(-1)!);
        return [
          cos(sg.at(-1)![0]!),
          cos(sg.at(-1)!.at(-1)!),
          cos(csg.at(-1)!.at(-1)!),
          cos(Math.min(...ll)),
          cos(Math.max(...ll)),
        ];
      },
    },
  ];
}

Deno.test("tableWith() reads a Markdown table by its header", () => {
  const rows = tableWith("text\n\n| a | b |\n|---|---|\n| x | 1 |\n| y | 2 |\n\nmore", "b");
  assert.deepEqual(rows, [{ a: "x", b: "1" }, { a: "y", b: "2" }]);
  assert.throws(() => tableWith("| a |\n|---|\n", "b"), /no table with a column "b"/);
});

for (const claim of CLAIMS) {
  Deno.test(`${claim.page} quotes its source: ${claim.quote.slice(0, 60)}...`, async () => {
    const values = await claim.values();
    let i = 0;
    const filled = squash(claim.quote.replace(/\{\}/g, () => values[i++]!));
    const page = squash(await read(claim.page));
    // a table row is compared with its cells' padding collapsed
    const cells = (s: string) => s.replace(/ *\| */g, " | ").replace(/-{3,}/g, "---");
    assert.ok(cells(page).includes(cells(filled)), `${claim.page} should say: ${filled}`);
  });
}
