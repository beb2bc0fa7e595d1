/**
 * Where the figures go: `docs/figures/<name>.svg` and, beside it, `docs/figures/<name>.json`, the data it drew, so a
 * figure can be re-drawn without re-running what made it.
 *
 * @module
 */

/** The folder the figures are written to, relative to the repository root. */
export const FIGURES_DIR = "docs/figures";

/** Writes `<dir>/<name>.svg` and `<dir>/<name>.json`; returns their paths. */
export async function writeFigure(name: string, svg: string, data: unknown, dir = FIGURES_DIR): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const paths = [`${dir}/${name}.svg`, `${dir}/${name}.json`];
  await Deno.writeTextFile(paths[0]!, svg + "\n");
  await Deno.writeTextFile(paths[1]!, JSON.stringify(data, null, 2) + "\n");
  return paths;
}

/** Reads the data a figure drew (`<dir>/<name>.json`). */
export async function readFigureData<T>(name: string, dir = FIGURES_DIR): Promise<T> {
  return JSON.parse(await Deno.readTextFile(`${dir}/${name}.json`)) as T;
}

/** A number rounded to `digits` significant digits, for data files that stay readable. */
export const round = (x: number, digits = 4): number => Number(x.toPrecision(digits));
