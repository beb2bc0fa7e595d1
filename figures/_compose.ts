/**
 * Small multiples: SVG documents (each from `../report/svg.ts`) set side by side in one document, under one title.
 *
 * @module
 */
import { escapeXml, textWidth } from "../report/svg.ts";

const size = (svg: string, attr: string) => Number(svg.match(new RegExp(`${attr}="([0-9.]+)"`))?.[1] ?? 0);

/**
 * Places `panels` (whole SVG documents) in rows of `columns`, under `title`; each keeps its own size. Clip-path ids
 * are made unique per panel.
 */
export function smallMultiples(panels: string[], { title, columns = panels.length, note }: {
  title: string;
  columns?: number;
  /** A line under the panels. */
  note?: string;
}): string {
  const w = Math.max(...panels.map((p) => size(p, "width"))), h = Math.max(...panels.map((p) => size(p, "height")));
  const rows = Math.ceil(panels.length / columns), top = 34, bottom = note ? 24 : 0;
  const total = Math.max(columns * w, textWidth(title, 16) + 20, note ? textWidth(note, 12) + 20 : 0);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${total}" height="${
      top + rows * h + bottom
    }" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${total / 2}" y="22" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  panels.forEach((p, i) => {
    const x = (i % columns) * w, y = top + Math.floor(i / columns) * h;
    const body = p.replace(/^<svg [^>]*>/, "").replace(/<\/svg>\s*$/, "").replaceAll('"plot"', `"plot${i}"`)
      .replaceAll("url(#plot)", `url(#plot${i})`);
    out.push(`<svg x="${x}" y="${y}" width="${size(p, "width")}" height="${size(p, "height")}">`, body, `</svg>`);
  });
  if (note) out.push(`<text x="10" y="${top + rows * h + 16}" fill="#555">${escapeXml(note)}</text>`);
  out.push(`</svg>`);
  return out.join("\n");
}
