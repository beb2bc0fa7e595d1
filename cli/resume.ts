/**
 * `train --load DIR`: resuming a checkpoint. The flags that cannot go with it, and the loaded network with what the
 * run needs to continue: its epochs (numbered on) and the seed of its data order.
 *
 * @module
 */
import { type LoadCheckpointOptions, networkFromCheckpoint } from "../checkpoint/load.ts";
import { readCheckpoint } from "../checkpoint/read.ts";
import type { Dataset } from "../datasets/dataset.ts";
import type { Network } from "../network/network.ts";
import type { Registries } from "../network/registries.ts";
import { UsageError } from "./args.ts";

/**
 * The `--load` directory, or undefined without `--load`; refuses the flags that do not go with it: `--spec` (the
 * checkpoint has its own) and `--seed` (the run continues the saved run's data order). `--workers` and `--nats` go
 * with it: the Workers and stage processes start from the checkpoint's whole training state.
 *
 * @throws {UsageError} Naming the flag and why.
 *
 * @example
 * ```ts
 * import { resumeFlag } from "./resume.ts";
 * console.assert(resumeFlag({ load: "ckpt", epochs: "2" }) === "ckpt");
 * try {
 *   resumeFlag({ load: "ckpt", spec: "net.json" });
 * } catch (e) {
 *   console.assert(/^--load resumes the checkpoint's own network/.test((e as Error).message));
 * }
 * ```
 */
export function resumeFlag(values: Record<string, unknown>): string | undefined {
  const dir = values.load;
  if (dir === undefined) return undefined;
  if (typeof dir !== "string" || dir === "") throw new UsageError("--load needs a checkpoint directory");
  if (values.spec !== undefined) {
    throw new UsageError(
      `--load resumes the checkpoint's own network (${dir}/spec.json): leave out --spec ${values.spec}`,
    );
  }
  if (values.seed !== undefined) {
    throw new UsageError(
      `--seed cannot go with --load: the resumed run shuffles with the seed of the run that saved ${dir} ` +
        `(in its spec.json), to see the data order that run would have seen; got --seed ${values.seed}`,
    );
  }
  return dir;
}

/** A checkpoint loaded to train on. */
export interface Resumed {
  /** The network, with its weights, optimizer state, steps and epochs. */
  network: Network;
  /** The seed of the data order: the one the saved run was built and shuffled with (its spec's `seed`). */
  seed: number;
  /** Whether the checkpoint records its epochs (one saved by an earlier dni does not: it counts as 0). */
  epochsKnown: boolean;
}

/**
 * Loads the checkpoint in `dir` to train on.
 *
 * @throws {CheckpointError} If it is missing, corrupt, or its spec cannot be built (e.g. a plugin's interface without
 *   `--plugin`).
 */
export async function loadForResume(
  dir: string,
  registries: Registries,
  options: Pick<LoadCheckpointOptions, "allowPluginChange" | "onWarning"> = {},
): Promise<Resumed> {
  const checkpoint = await readCheckpoint(dir);
  const network = networkFromCheckpoint(checkpoint, { registries, ...options });
  return {
    network,
    seed: network.getSpec().seed ?? 0,
    epochsKnown: checkpoint.manifest.epochs !== undefined,
  };
}

/**
 * The line that says what is resumed, e.g. `resuming checkpoint ckpt after epoch 3 (1407 steps)`, or `resuming
 * checkpoint ckpt inside epoch 3, after batch 9 (it was interrupted there) (57 steps)`.
 */
export function resumeLine(dir: string, { network, epochsKnown }: Resumed): string {
  // A sequence network's steps are batches of its task; each batch is one update per truncation window.
  const stream = network.stream;
  const steps = stream ? `${stream.position.batches} steps, ${network.steps} window updates` : `${network.steps} steps`;
  const inside = network.epochProgress;
  return epochsKnown
    ? `resuming checkpoint ${dir} ${
      inside === undefined
        ? `after epoch ${network.epochs}`
        : `inside epoch ${network.epochs + 1}, after batch ${inside.batch} (it was interrupted there)`
    } (${steps})`
    : `resuming checkpoint ${dir} (${network.steps} steps); it does not record its epochs (saved by an earlier ` +
      `dni), so they are counted from 0`;
}

/**
 * Throws unless the dataset fits the loaded network (as `evaluate --load` words it).
 *
 * @throws {RangeError} Naming the dataset's and the network's widths.
 */
export function checkResumedFit(dir: string, network: Network, name: string, data: Dataset): void {
  if (data.features !== network.inputUnits || data.classes !== network.outputUnits) {
    throw new RangeError(
      `Dataset "${name}" has ${data.features} features and ${data.classes} classes; the network of checkpoint ` +
        `${dir} takes ${network.inputUnits} inputs and has ${network.outputUnits} outputs`,
    );
  }
}
