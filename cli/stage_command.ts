/**
 * `cli.ts stage`: a pipeline stage as a process of its own, on any host, that waits on a NATS server for a
 * coordinator of its run (`deno task train --nats URL --run NAME --stages N`) and serves one stage of that run
 * (see `parallel/nats_stage.ts`).
 *
 * @module
 */
import { parseFlags, UsageError } from "./args.ts";

/** The usage text of `stage`. */
export const STAGE_USAGE = `Usage: deno task stage --nats URL --run NAME [options]

  --nats URL              the NATS server: nats://HOST:4222, nats://USER:PASSWORD@HOST:4222, nats://TOKEN@HOST:4222,
                          tls://HOST:4222 (or the environment variable DNI_NATS_URL, which keeps a password off the
                          command line)
  --nats-ca FILE          a PEM file of the CA (or the self-signed certificate) that the server's TLS certificate is
                          checked against, instead of the system's roots (or DNI_NATS_CA)
  --run NAME              the run to serve (letters, digits, _ and -; or DNI_NATS_RUN): only a coordinator started
                          with the same --run claims this process; messages of another run are refused
  --quiet                 print nothing but errors
  -h, --help              this text

The process waits until a coordinator claims it, trains its stage (the network, plugins, weights and backend come
from the coordinator), and exits when the run ends; it fails within seconds when the server or the coordinator is
lost.`;

/** Runs `stage` with the given arguments; resolves to the exit status. */
export async function stageCommand(
  args: string[],
  io: { out: (s: string) => void; err: (s: string) => void },
): Promise<number> {
  const values = parseFlags(args, {
    nats: { type: "string" },
    "nats-ca": { type: "string" },
    run: { type: "string" },
    quiet: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  }, "stage");
  if (values.help) {
    io.out(STAGE_USAGE + "\n");
    return 0;
  }
  const url = (values.nats as string | undefined) ?? Deno.env.get("DNI_NATS_URL");
  const run = (values.run as string | undefined) ?? Deno.env.get("DNI_NATS_RUN");
  const ca = (values["nats-ca"] as string | undefined) ?? (Deno.env.get("DNI_NATS_CA") || undefined);
  if (ca === "") throw new UsageError("--nats-ca needs a file: the PEM of the server's CA");
  if (!url) throw new UsageError("stage needs --nats URL (or DNI_NATS_URL), e.g. --nats nats://127.0.0.1:4222");
  if (!run) throw new UsageError("stage needs --run NAME (or DNI_NATS_RUN): the run it serves");
  const { serveStage } = await import("../parallel/nats_stage.ts"); // the NATS client loads only here
  await serveStage({ url, run, ca, log: values.quiet ? undefined : (line) => io.err(line + "\n") });
  return 0;
}
