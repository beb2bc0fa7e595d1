/**
 * `deno task figures [--only a,b,...]`: runs the small real runs behind the documentation's figures and writes each
 * to `docs/figures/<name>.svg`, with the data it drew beside it (`<name>.json`). `--redraw` draws from the data files
 * already there instead of running anything.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { readFigureData, writeFigure } from "./_io.ts";
import { FIGURES } from "./registry.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { only: { type: "string" }, redraw: { type: "boolean", default: false } },
});
const written: string[] = [];
const names = values.only ? values.only.split(",").map((s) => s.trim()) : FIGURES.map((f) => f.key);
for (const name of names) {
  const figure = FIGURES.find((f) => f.key === name || f.name === name);
  if (!figure) {
    console.error(`Unknown figure "${name}": the figures are ${FIGURES.map((f) => `${f.key} (${f.name})`).join(", ")}`);
    Deno.exit(2);
  }
  const start = performance.now();
  const data = values.redraw ? await readFigureData(figure.name) : await figure.data();
  const paths = await writeFigure(figure.name, figure.draw(data), data);
  written.push(...paths);
  console.error(`(${figure.key}) ${paths.join(", ")} in ${((performance.now() - start) / 1000).toFixed(1)} s`);
}
// The checks format SVG and JSON files too (`deno fmt --check`): write them as `deno fmt` would.
const fmt = await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", ...written] }).output();
if (!fmt.success) console.error(`deno fmt failed on the figures: ${new TextDecoder().decode(fmt.stderr)}`);
