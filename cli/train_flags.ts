/**
 * The flags of `train` that need reading against each other: the dataset's (a sequence task's own, or a feed-forward
 * dataset's epochs or steps), NATS's, and the line that says what a sequence run is judged by.
 *
 * @module
 */
import { intFlag, UsageError } from "./args.ts";
import type { NatsRun } from "./run.ts";
import { isSequenceDataset, SEQUENCE_DATASETS, SEQUENCE_ONLY_FLAGS, sequenceFlags } from "./sequence_train.ts";
import type { SequenceResult } from "../recurrent/sequence_result.ts";
import { percent } from "./progress.ts";
import type { TrainOptions } from "../training/options.ts";

// The flags of a dataset: a sequence task's (refusing those that do not apply), or a feed-forward dataset's
// (refusing the sequence tasks' own).
export function datasetFlags(dataset: string, values: Record<string, unknown>): TrainOptions {
  if (isSequenceDataset(dataset)) {
    return sequenceFlags(dataset.startsWith("text:") ? "text" : dataset, values);
  }
  for (const flag of SEQUENCE_ONLY_FLAGS) {
    if (values[flag] !== undefined) {
      throw new UsageError(`--${flag} applies to sequence tasks (--dataset ${SEQUENCE_DATASETS.join(" | ")}) only`);
    }
  }
  return values.steps === undefined
    ? { epochs: intFlag(values, "epochs", 10, 1) }
    : values.epochs === undefined
    ? { steps: intFlag(values, "steps", 0, 1) }
    : (() => {
      throw new UsageError("give --epochs or a budget of --steps, not both");
    })();
}

// What a sequence run is judged by, for the last line.
export function sequenceSummary(r: SequenceResult): string {
  const parts = [
    ...(r.maxSequenceLength === undefined ? [] : [`max sequence length ${r.maxSequenceLength}`]),
    ...(r.bitsPerChar === undefined ? [] : [`validation ${r.bitsPerChar.toFixed(3)} bits/char`]),
    ...(r.testAccuracy === undefined ? [] : [`test accuracy ${percent(r.testAccuracy)}`]),
    ...(r.syntheticGradientCosine === undefined ? [] : [`sg cosine ${r.syntheticGradientCosine.toFixed(3)}`]),
  ];
  return parts.length > 0 ? parts.join("  ") + "  " : "";
}

// `--nats URL --run NAME --stages N [--spawn]`, checked; undefined without --nats.
export function natsFlags(values: Record<string, unknown>, workers: number): NatsRun | undefined {
  if (values.nats === undefined) {
    for (const flag of ["run", "stages", "spawn", "nats-ca", "run-key", "no-encrypt"]) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} goes with --nats URL (a pipeline over NATS)`);
    }
    return undefined;
  }
  if (workers > 1) throw new UsageError("--nats runs stage processes (--stages N), not Workers: drop --workers");
  if (typeof values.run !== "string") throw new UsageError("--nats needs --run NAME: the stage processes' run");
  const stages = intFlag(values as Record<string, string | boolean | undefined>, "stages", 2, 2);
  const ca = (values["nats-ca"] as string | undefined) ?? (Deno.env.get("DNI_NATS_CA") || undefined);
  if (ca === "") throw new UsageError("--nats-ca needs a file: the PEM of the server's CA");
  const keyFile = values["run-key"] as string | undefined;
  if (keyFile === "") throw new UsageError("--run-key needs a file: the run's key (deno task run-key FILE makes one)");
  const key = keyFile === undefined ? Deno.env.get("DNI_RUN_KEY") || undefined : undefined;
  if (keyFile === undefined && key === undefined && values.spawn !== true) {
    throw new UsageError(
      "--nats needs --run-key FILE (or DNI_RUN_KEY): the run's secret, shared with its stage processes; make one " +
        "with: deno task run-key FILE (with --spawn a new one is made for the run)",
    );
  }
  return {
    url: values.nats as string,
    run: values.run,
    stages,
    spawn: values.spawn === true,
    ...(ca ? { ca } : {}),
    ...(keyFile === undefined ? {} : { keyFile }),
    ...(key === undefined ? {} : { key }),
    ...(values["no-encrypt"] === true ? { encrypt: false } : {}),
  };
}
