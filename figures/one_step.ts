/**
 * Figure (a), `one-step`: one training step of the same network under each interface, side by side: the forward
 * pass going up (each layer's output and its size), which gradient each hidden layer gets (the true one from the
 * loss, a synthetic one from `M(h)` or `M(h, y)`, or a local loss's), how close it is to the true one, and the order
 * in which the layers update. The data: `one_step_data.ts`.
 *
 * @module
 */
import { escapeXml, textWidth } from "../report/svg.ts";
import type { OneStepData, StepView } from "./one_step_data.ts";

const COL = 330, TOP = 92, ROW = 58;
const COLOR = { forward: "#555555", true: "#d62728", synthetic: "#ff7f0e", local: "#2ca02c", message: "#9467bd" };

const HEAD: Record<string, [string, string]> = {
  "backprop": ["backprop", "every layer waits for the loss"],
  "sg": ["sg (DNI)", "M(h) answers at once"],
  "csg": ["csg (conditioned DNI)", "M(h, y) answers at once"],
  "local-loss": ["local-loss", "a local classifier's loss answers at once"],
};

// The y of row r, counted from the top: 0 the loss, then layer 3, interface 2, layer 2, ... layer 0, 8 the input.
const rowY = (r: number) => TOP + r * ROW;

function text(out: string[], x: number, y: number, s: string, extra = "") {
  out.push(`<text x="${x}" y="${y}"${extra ? " " + extra : ""}>${escapeXml(s)}</text>`);
}

function arrow(out: string[], x1: number, y1: number, x2: number, y2: number, color: string, dash = "") {
  out.push(
    `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${color}" stroke-width="2"${
      dash ? ` stroke-dasharray="${dash}"` : ""
    } marker-end="url(#${color.slice(1)})"/>`,
  );
}

function column(out: string[], v: StepView, x0: number) {
  const kind = v.interface === "backprop" ? "true" : v.interface === "local-loss" ? "local" : "synthetic";
  const [name, sub] = HEAD[v.interface] ?? [v.interface, ""];
  text(out, x0 + 150, 52, name, `text-anchor="middle" font-size="14" font-weight="bold"`);
  text(out, x0 + 150, 70, sub, `text-anchor="middle" fill="${COLOR[kind]}"`);
  const bx = x0 + 46, bw = 210, gx = x0 + 272, mx = x0 + 292;
  // The loss, then layers 3..0 with the interfaces between them, then the input.
  out.push(`<rect x="${bx}" y="${rowY(0) - 13}" width="${bw}" height="26" rx="13" fill="#fde0dd" stroke="#333"/>`);
  text(out, bx + bw / 2, rowY(0) + 4, "softmax cross-entropy loss (labels y)", `text-anchor="middle"`);
  const sizes = ["784→256, ReLU", "256→256, ReLU", "256→256, ReLU", "256→10"];
  for (let l = 3; l >= 0; l--) {
    const y = rowY(1 + 2 * (3 - l));
    const layer = v.layers[l]!;
    out.push(`<rect x="${bx}" y="${y - 15}" width="${bw}" height="30" fill="#e8eef7" stroke="#333"/>`);
    text(out, bx + 8, y + 4, `L${l} ${sizes[l]}`);
    text(out, bx + bw - 8, y + 4, `h RMS ${layer.rms.toFixed(2)}`, `text-anchor="end" fill="#444"`);
    // The update order: after the loss from the top down (backprop), or each as soon as it has run (decoupled).
    const order = kind === "true" ? 4 - l : l + 1;
    out.push(`<circle cx="${x0 + 24}" cy="${y}" r="11" fill="white" stroke="${COLOR[kind]}" stroke-width="2"/>`);
    text(out, x0 + 24, y + 4, String(order), `text-anchor="middle" font-weight="bold"`);
    arrow(out, bx + 10, y - 15, bx + 10, l === 3 ? rowY(0) + 15 : y - 2 * ROW + 17, COLOR.forward); // forward, up
    if (l === 3) continue;
    const iy = rowY(2 + 2 * (2 - l)), g = v.gradients[l]!;
    const fill = kind === "true" ? "#fff" : kind === "local" ? "#e5f5e0" : "#fff1e0";
    out.push(
      `<rect x="${bx + 20}" y="${iy - 17}" width="${bw - 20}" height="34" rx="6" fill="${fill}" stroke="${
        COLOR[kind]
      }"/>`,
    );
    const what = kind === "true"
      ? "passes the true g = dL/dh"
      : kind === "local"
      ? "g from its own classifier's loss"
      : v.interface === "csg"
      ? "ĝ = M(h, y), no waiting"
      : "ĝ = M(h), no waiting";
    text(out, bx + 28, iy - 3, what);
    text(
      out,
      bx + 28,
      iy + 12,
      kind === "true"
        ? "cosine 1 (it is the true one)"
        : `cosine ${g.cosine.toFixed(2)}, norm ${g.normRatio.toFixed(2)}x`,
      `fill="#444" font-size="11"`,
    );
    if (kind !== "true") arrow(out, gx, iy, gx, y - 17, COLOR[kind]); // at once: into the layer below
    if (kind === "synthetic") arrow(out, mx, iy - ROW + 15, mx, iy - 19, COLOR.message, "5 3"); // the message, later
    if (kind !== "true" && v.interface !== "sg") {
      text(out, bx - 10, iy + 4, "y →", `text-anchor="end" fill="#666" font-style="italic"`);
    }
  }
  text(out, bx + 30, rowY(8) + 4, "x: a batch of 128 images", `fill="#444"`);
  arrow(out, bx + 10, rowY(8) - 4, bx + 10, rowY(7) + 17, COLOR.forward);
  if (kind === "true") {
    // One long way down: the true gradient walks from the loss to each layer in turn.
    out.push(`<line x1="${gx}" y1="${rowY(0)}" x2="${gx}" y2="${rowY(7)}" stroke="${COLOR.true}" stroke-width="2"/>`);
    for (let l = 3; l >= 0; l--) arrow(out, gx, rowY(1 + 2 * (3 - l)), bx + bw + 2, rowY(1 + 2 * (3 - l)), COLOR.true);
    arrow(out, gx, rowY(0), bx + bw + 2, rowY(0), COLOR.true, "");
  } else {
    arrow(out, gx, rowY(0) + 13, gx, rowY(1) - 17, COLOR.true); // the top layer's true gradient from the loss
  }
  text(
    out,
    x0 + 150,
    rowY(8) + 28,
    `test accuracy after the training: ${(100 * v.testAccuracy).toFixed(1)}%`,
    `text-anchor="middle" fill="#444"`,
  );
}

/** Draws figure (a) from its data. */
export function oneStepFigure(data: OneStepData): string {
  const width = COL * data.views.length + 20, height = rowY(8) + 110;
  const title =
    `One training step of MNIST ${data.spec}, under each interface (after ${data.steps} steps, seed ${data.seed})`;
  const markers = Object.values(COLOR).map((c) =>
    `<marker id="${c.slice(1)}" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto">` +
    `<path d="M0,0 L8,4 L0,8 z" fill="${c}"/></marker>`
  );
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${
      Math.max(width, textWidth(title, 15) + 20)
    }" height="${height}" font-family="sans-serif" font-size="12">`,
    `<defs>${markers.join("")}</defs>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
  ];
  data.views.forEach((v, i) => column(out, v, 10 + i * COL));
  const ly = rowY(8) + 56;
  const legend: [string, string, string][] = [
    [COLOR.forward, "", "forward: h goes up"],
    [COLOR.true, "", "true gradient (waits for the loss)"],
    [COLOR.synthetic, "", "synthetic gradient (at once)"],
    [COLOR.local, "", "local loss's gradient (at once)"],
    [COLOR.message, "5 3", "the message from above, later: M learns from it"],
  ];
  let lx = 20;
  for (const [c, dash, label] of legend) {
    arrow(out, lx, ly, lx + 28, ly, c, dash);
    text(out, lx + 34, ly + 4, label);
    lx += 48 + textWidth(label);
  }
  text(
    out,
    20,
    ly + 24,
    `Circled: the order in which the layers update in the step. Cosine and norm: the gradient a layer gets against the true one, on ${data.probe} training examples. RMS: the size of each layer's output.`,
    `fill="#444"`,
  );
  out.push(`</svg>`);
  return out.join("\n");
}
