/**
 * Figure (b), `pipeline-timeline`: a 2-stage pipeline's first batches, per stage and batch, at staleness 0 and 1 on
 * one time scale: when each stage runs a batch forward (and updates), handles the message for it, posts, or waits,
 * with arrows for what each waits for (activations up, the message down). The data: `pipeline_data.ts`.
 *
 * @module
 */
import { escapeXml, textWidth, tickLabel, ticks } from "../report/svg.ts";
import type { PipelineData } from "./pipeline_data.ts";

const FILL = { forward: "#1f77b4", message: "#ff7f0e", tail: "#aec7e8" } as const;
const LABEL = {
  forward: "forward, backward with the synthetic gradient, update",
  message: "the message for a batch: the synthesizer learns",
  tail: "posting",
} as const;

/** Draws figure (b) from its data. */
export function pipelineFigure(data: PipelineData): string {
  const names = data.runs[0]!.stages.map((s, k) =>
    `stage ${k} (layer${s.lo === s.hi ? "" : "s"} ${s.lo}${s.lo === s.hi ? "" : `-${s.hi}`})`
  );
  const left = 20 + Math.max(...names.map((n) => textWidth(n))), plotW = 640, rowH = 34, panelGap = 78;
  const tMax = Math.max(...data.runs.flatMap((r) => r.spells.map((s) => s.end)));
  const scale = ticks(0, tMax, 8);
  const end = Math.max(tMax, scale.at(-1)!);
  const sx = (t: number) => left + (t / end) * plotW;
  const top = 46, panelH = names.length * rowH + panelGap;
  const legendY = top + data.runs.length * panelH + 4;
  const width = Math.max(left + plotW + 30, 20 + Object.values(LABEL).reduce((w, l) => w + 34 + textWidth(l), 0));
  const height = legendY + 44;
  const title = `A 2-Worker pipeline of MNIST ${data.spec}, batch by batch: staleness 0 against 1`;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<defs><marker id="head" viewBox="0 0 6 6" refX="6" refY="3" markerWidth="6" markerHeight="6" orient="auto">` +
    `<path d="M0,0 L6,3 L0,6 z" fill="#444"/></marker></defs>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
  ];
  data.runs.forEach((run, p) => {
    const y0 = top + p * panelH;
    const heading = `staleness ${run.staleness}: ${run.measuredMsPerBatch.toFixed(2)} ms per batch measured ` +
      `(replay ${run.replayMsPerBatch.toFixed(2)}); waiting per batch: ${
        run.stages.map((s, k) => `stage ${k} ${s.waitingMs.toFixed(2)} ms`).join(", ")
      }`;
    out.push(`<text x="${left}" y="${y0 + 8}" font-weight="bold">${escapeXml(heading)}</text>`);
    const rowY = (k: number) => y0 + 16 + k * rowH;
    names.forEach((n, k) => {
      out.push(
        `<rect x="${left}" y="${rowY(k) + 3}" width="${plotW}" height="${rowH - 6}" fill="#f0f0f0"/>`,
        `<text x="${left - 8}" y="${rowY(k) + rowH / 2 + 4}" text-anchor="end">${escapeXml(n)}</text>`,
      );
    });
    for (const s of run.spells) {
      const x = sx(s.start), w = Math.max(0.5, sx(s.end) - x);
      out.push(
        `<rect x="${x.toFixed(1)}" y="${rowY(s.stage) + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${
          FILL[s.kind]
        }" stroke="white" stroke-width="0.5"/>`,
      );
      if (s.kind !== "tail" && w > textWidth(String(s.batch)) + 4) {
        out.push(
          `<text x="${(x + w / 2).toFixed(1)}" y="${rowY(s.stage) + rowH / 2 + 4}" text-anchor="middle" fill="${
            s.kind === "forward" ? "white" : "black"
          }">${s.batch}</text>`,
        );
      }
    }
    // What waits for what: batch b's activations go up (its forward on stage k to its forward on k + 1), its message
    // comes down (the forward on k + 1 to the message on k).
    for (const s of run.spells.filter((s) => s.kind === "forward" && s.stage > 0)) {
      const below = run.spells.find((q) => q.kind === "forward" && q.stage === s.stage - 1 && q.batch === s.batch);
      const msg = run.spells.find((q) => q.kind === "message" && q.stage === s.stage - 1 && q.batch === s.batch);
      if (below) arrow(out, sx(below.end), rowY(s.stage - 1) + rowH - 3, sx(s.start), rowY(s.stage) + 3);
      if (msg) arrow(out, sx(s.end), rowY(s.stage) + 3, sx(msg.start), rowY(s.stage - 1) + rowH - 3);
    }
    const axisY = rowY(names.length) + 2;
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${axisY}" y2="${axisY}" stroke="#333"/>`);
    for (const t of scale) {
      out.push(
        `<line x1="${sx(t).toFixed(1)}" x2="${sx(t).toFixed(1)}" y1="${axisY}" y2="${axisY + 5}" stroke="#333"/>`,
        `<text x="${sx(t).toFixed(1)}" y="${axisY + 18}" text-anchor="middle">${tickLabel(t)}</text>`,
      );
    }
    out.push(
      `<text x="${left + plotW / 2}" y="${axisY + 34}" text-anchor="middle">milliseconds from the first batch</text>`,
    );
  });
  let lx = 20;
  for (const kind of ["forward", "message", "tail"] as const) {
    out.push(
      `<rect x="${lx}" y="${legendY}" width="14" height="12" fill="${FILL[kind]}"/>`,
      `<text x="${lx + 18}" y="${legendY + 10}">${escapeXml(LABEL[kind])}</text>`,
    );
    lx += 34 + textWidth(LABEL[kind]);
  }
  out.push(
    `<rect x="20" y="${legendY + 20}" width="14" height="12" fill="#f0f0f0"/>`,
    `<text x="38" y="${
      legendY + 30
    }">waiting (idle); arrows: a batch's activations going up, its message coming down</text>`,
    `</svg>`,
  );
  return out.join("\n");
}

function arrow(out: string[], x1: number, y1: number, x2: number, y2: number) {
  out.push(
    `<line x1="${x1.toFixed(1)}" y1="${y1}" x2="${x2.toFixed(1)}" y2="${y2}" stroke="#444" stroke-width="1" ` +
      `marker-end="url(#head)"/>`,
  );
}
