/**
 * Figure (c), `cosine`: how close the gradient each hidden layer gets is to the true one, over training, one panel
 * per interface (`sg`, `csg`, `local-loss`), one line per hidden layer. The data: `cosine_data.ts`.
 *
 * @module
 */
import { lineChart } from "../report/svg.ts";
import { smallMultiples } from "./_compose.ts";
import type { CosineData } from "./cosine_data.ts";

/** Draws figure (c) from its data. */
export function cosineFigure(data: CosineData): string {
  const panels = data.runs.map((run) =>
    lineChart(
      run.cosines.map((c, layer) => ({
        name: `layer ${layer} (${layer === 0 ? "bottom" : layer === run.cosines.length - 1 ? "top" : "middle"})`,
        points: run.steps.map((s, k): [number, number] => [s, c[k]!]),
      })),
      {
        title: `${run.interface} (test accuracy ${(100 * run.testAccuracy).toFixed(1)}%)`,
        xLabel: "training steps (batches of 128)",
        yLabel: "cosine to the true gradient",
        unitRange: false,
        yRange: [-0.2, 1],
        width: 260,
        height: 320,
      },
    )
  );
  return smallMultiples(panels, {
    title: `Cosine between the gradient a hidden layer gets and backprop's, MNIST ${data.spec}, seed ${data.seed}`,
    note: `Measured every ${data.every} steps on a probe batch of 256 training examples; 1 = the true gradient's ` +
      `direction, 0 = unrelated.`,
  });
}
