/**
 * `cli.ts run-key FILE`: writes a new run key (the secret of a pipeline run over NATS) to FILE, readable by its owner
 * only; copy it to every host of the run and give it with `--run-key FILE`.
 *
 * @module
 */
import { parseFlags, UsageError } from "./args.ts";
import { writeRunKeyFile } from "../parallel/transport/nats/_run_key.ts";

/** The usage text of `run-key`. */
export const RUN_KEY_USAGE = `Usage: deno task run-key FILE

Writes a new run key (32 random bytes as 64 hex digits) to FILE, with mode 0600; an existing FILE is never
overwritten. Give it to the coordinator (deno task train --nats URL --run NAME --run-key FILE) and to each stage
process (deno task stage --nats URL --run NAME --run-key FILE), or put its digits in DNI_RUN_KEY.

  -h, --help              this text`;

/** Runs `run-key` with the given arguments; resolves to the exit status. */
export async function runKeyCommand(
  args: string[],
  io: { out: (s: string) => void; err: (s: string) => void },
): Promise<number> {
  const files = args.filter((a) => !a.startsWith("-"));
  const values = parseFlags(
    args.filter((a) => a.startsWith("-")),
    { help: { type: "boolean", short: "h" } },
    "run-key",
  );
  if (values.help) {
    io.out(RUN_KEY_USAGE + "\n");
    return 0;
  }
  if (files.length !== 1) throw new UsageError(`run-key needs one FILE to write the key to, got ${files.length}`);
  await writeRunKeyFile(files[0]!);
  io.err(`wrote a new run key to ${files[0]} (mode 0600): copy it to the stage hosts; give it with --run-key\n`);
  return 0;
}
