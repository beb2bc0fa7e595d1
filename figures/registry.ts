/**
 * The figures `deno task figures` makes: a key (`--only c`), the file name under `docs/figures/`, how to get its
 * data (a real run, a simulation, a committed report) and how to draw it.
 *
 * @module
 */
import { type CopyTruncationData, copyTruncationData, copyTruncationFigure } from "./copy_truncation.ts";
import { cosineFigure } from "./cosine.ts";
import { type CosineData, cosineRuns } from "./cosine_data.ts";
import { oneStepFigure } from "./one_step.ts";
import { type OneStepData, oneStepRuns } from "./one_step_data.ts";
import { pipelineFigure } from "./pipeline_timeline.ts";
import { type PipelineData, pipelineRuns } from "./pipeline_data.ts";
import { speedupFigure } from "./speedup.ts";
import { type SpeedupData, speedupRuns } from "./speedup_data.ts";

/** One figure. */
export interface Figure {
  /** The letter: `--only c`. */
  key: string;
  /** `docs/figures/<name>.svg` and `.json`. */
  name: string;
  /** Makes the data (runs what it must). */
  data: () => Promise<unknown>;
  /** Draws the data. */
  draw: (data: unknown) => string;
}

/** Every figure, in the order of docs/figures.md. */
export const FIGURES: readonly Figure[] = [
  { key: "a", name: "one-step", data: () => oneStepRuns(), draw: (d) => oneStepFigure(d as OneStepData) },
  { key: "b", name: "pipeline-timeline", data: () => pipelineRuns(), draw: (d) => pipelineFigure(d as PipelineData) },
  {
    key: "c",
    name: "cosine",
    data: () => cosineRuns({ steps: 1500, every: 50, trainCount: 60000 }),
    draw: (d) => cosineFigure(d as CosineData),
  },
  { key: "d", name: "speedup", data: () => speedupRuns(), draw: (d) => speedupFigure(d as SpeedupData) },
  {
    key: "e",
    name: "copy-truncation",
    data: () => copyTruncationData(),
    draw: (d) => copyTruncationFigure(d as CopyTruncationData),
  },
];
