/**
 * `cli.ts stage`: a pipeline stage as a process of its own, on any host, that waits on a NATS server for a
 * coordinator of its run (`deno task train --nats URL --run NAME --run-key FILE --stages N`) and serves one stage of
 * that run (see `parallel/transport/nats/stage.ts`).
 *
 * @module
 */
import { parseFlags, UsageError } from "./args.ts";
import { PLUGIN_OPTION, pluginFlag } from "./plugins.ts";

/** The usage text of `stage`. */
export const STAGE_USAGE = `Usage: deno task stage --nats URL --run NAME --run-key FILE [options]

  --nats URL              the NATS server: nats://HOST:4222, nats://USER:PASSWORD@HOST:4222, nats://TOKEN@HOST:4222,
                          tls://HOST:4222 (or the environment variable DNI_NATS_URL, which keeps a password off the
                          command line)
  --nats-ca FILE          a PEM file of the CA (or the self-signed certificate) that the server's TLS certificate is
                          checked against, instead of the system's roots (or DNI_NATS_CA)
  --run NAME              the run to serve (letters, digits, _ and -; or DNI_NATS_RUN)
  --run-key FILE          the run's secret (or DNI_RUN_KEY, its hex digits): only a coordinator with the same key can
                          claim this process, and every message of the run is sealed with it; make one with
                          deno task run-key FILE and copy it to each host
  --plugin PATH_OR_URL    a plugin module this process may run (repeatable): it is imported at the start, and a run
                          whose network needs a plugin not named here (same source, by SHA-256) is refused
  --quiet                 print nothing but errors and warnings
  -h, --help              this text

The process waits until a coordinator of the run claims it, trains its stage (the network, weights and backend come
from the coordinator; code never does), and exits when the run ends; it fails within seconds when the server or the
coordinator is lost. Messages from clients without the run's key are dropped and counted (one warning per kind).`;

/** Runs `stage` with the given arguments; resolves to the exit status. */
export async function stageCommand(
  args: string[],
  io: { out: (s: string) => void; err: (s: string) => void },
): Promise<number> {
  const values = parseFlags(args, {
    nats: { type: "string" },
    "nats-ca": { type: "string" },
    run: { type: "string" },
    "run-key": { type: "string" },
    ...PLUGIN_OPTION,
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
  const keyFile = values["run-key"] as string | undefined;
  if (keyFile === "") throw new UsageError("--run-key needs a file: the run's key");
  if (keyFile === undefined && !Deno.env.get("DNI_RUN_KEY")) {
    throw new UsageError(
      "stage needs --run-key FILE (or DNI_RUN_KEY): the run's secret, the same as its coordinator's; make one with " +
        "deno task run-key FILE",
    );
  }
  const plugins = pluginFlag(values);
  // Started by a coordinator (--spawn): a Ctrl-C in its terminal reaches this process too, but the coordinator
  // stops the run (it gathers this stage's state first) and then ends this process itself.
  if (Deno.env.get("DNI_STAGE_SPAWNED") === "1") Deno.addSignalListener("SIGINT", () => {});
  // The NATS client loads only here.
  const [{ serveStage }, { runKeyFrom }] = await Promise.all([
    import("../parallel/transport/nats/stage.ts"),
    import("../parallel/transport/nats/_run_key.ts"),
  ]);
  const key = (await runKeyFrom(keyFile))!;
  await serveStage({
    url,
    run,
    ca,
    key,
    plugins,
    log: values.quiet ? undefined : (line) => io.err(line + "\n"),
    warn: (line) => io.err(`warning: ${line}\n`),
  });
  return 0;
}
