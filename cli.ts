/**
 * The `dni` command line: `train` a spec on a dataset, `evaluate` a saved checkpoint, `compare` interfaces side by
 * side, or run the `demo`.
 *
 * ```
 * deno run -A cli.ts train --spec examples/fcn3_backprop.json --epochs 10 --save checkpoints/fcn3
 * deno run -A cli.ts evaluate --load checkpoints/fcn3
 * deno run -A cli.ts demo
 * ```
 *
 * Bad flags, specs, dataset files and checkpoints are reported in one line on stderr, with exit status 2 (usage) or 1.
 *
 * @module
 */
import { CheckpointError, DatasetError, DivergenceError, PluginError, SpecError } from "./errors.ts";
import { WorkerError } from "./parallel/pipeline.ts";
import { UsageError } from "./cli/args.ts";
import { COMPARE_USAGE, compareCommand } from "./cli/compare_command.ts";
import { DEMO_USAGE, demoCommand } from "./cli/demo_command.ts";
import { EVALUATE_USAGE, evaluateCommand } from "./cli/evaluate_command.ts";
import { TRAIN_USAGE, trainCommand } from "./cli/train_command.ts";
import { STAGE_USAGE, stageCommand } from "./cli/stage_command.ts";
import { RUN_KEY_USAGE, runKeyCommand } from "./cli/run_key_command.ts";
import { REPRODUCE_USAGE, reproduceCommand } from "./cli/reproduce_command.ts";
import { TableConfigError } from "./reproduce/config.ts";
import { NatsError } from "./parallel/transport/nats/_names.ts";

const USAGE = `Usage: deno task <command> [options]   (or: deno run -A cli.ts <command> [options])

Commands:
  train    train a network spec on a dataset (deno task train --help)
  evaluate test loss and accuracy of a saved checkpoint (deno task evaluate --help)
  compare  train backprop, sg, csg and TF.js layers side by side and write a report (deno task compare --help)
  demo     a short compare on the shipped MNIST, offline (deno task demo --help)
  stage    serve one stage of a pipeline over NATS, on any host (deno task stage --help)
  run-key  write a new run key, the secret of a pipeline run over NATS (deno task run-key --help)
  reproduce run a table of rows x seeds that survives interruption, and report its spread (deno task reproduce --help)

${TRAIN_USAGE}

${EVALUATE_USAGE}

${COMPARE_USAGE}

${DEMO_USAGE}

${STAGE_USAGE}

${RUN_KEY_USAGE}

${REPRODUCE_USAGE}`;

const COMMANDS = ["train", "evaluate", "compare", "demo", "stage", "run-key", "reproduce"] as const;

/** Where the CLI writes, and whether stderr is a terminal. */
export interface CliIO {
  /** Writes normal output (results, help). */
  out: (text: string) => void;
  /** Writes progress and error messages. */
  err: (text: string) => void;
  /** Whether `err` is a terminal, so progress can be redrawn on one line. */
  live: boolean;
}

/** Runs the CLI with `args`; resolves to the exit status (0 ok, 1 failure, 2 usage). */
export async function main(args: string[], io: CliIO): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case "train":
        return await trainCommand(rest, io);
      case "evaluate":
        return await evaluateCommand(rest, io);
      case "compare":
        return await compareCommand(rest, io);
      case "demo":
        return await demoCommand(rest, io);
      case "stage":
        return await stageCommand(rest, io);
      case "run-key":
        return await runKeyCommand(rest, io);
      case "reproduce":
        return await reproduceCommand(rest, io);
      case undefined:
      case "-h":
      case "--help":
      case "help":
        io.out(USAGE + "\n");
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`Unknown command "${command}": known commands are ${COMMANDS.join(", ")}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`error: ${error.message}\n(see ${helpHint(command)})\n`);
      return 2;
    }
    if (
      error instanceof SpecError || error instanceof DatasetError || error instanceof DivergenceError ||
      error instanceof WorkerError || error instanceof CheckpointError || error instanceof PluginError ||
      error instanceof RangeError || error instanceof NatsError || error instanceof TableConfigError ||
      isFileSystemError(error)
    ) {
      io.err(`error: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

// Where to read about the command that failed, in the form users type it.
function helpHint(command: string | undefined): string {
  return COMMANDS.includes(command as typeof COMMANDS[number])
    ? `deno task ${command} --help`
    : "deno run -A cli.ts --help";
}

// A file the CLI reads or writes (e.g. the --out directory) cannot be: Deno's message names the path.
function isFileSystemError(error: unknown): error is Error {
  return Object.values(Deno.errors).some((type) => error instanceof type);
}

if (import.meta.main) {
  const encoder = new TextEncoder();
  const io: CliIO = {
    out: (text) => Deno.stdout.writeSync(encoder.encode(text)),
    err: (text) => Deno.stderr.writeSync(encoder.encode(text)),
    live: Deno.stderr.isTerminal(),
  };
  Deno.exit(await main(Deno.args, io));
}
