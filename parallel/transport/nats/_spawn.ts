// Private: the stage processes a coordinator over NATS starts on its own host (`pipeline({ nats: { spawn: true } })`):
// `deno run cli.ts stage` with only the permissions a stage needs (reading, its environment, the server's host and
// port, FFI for the native backend), the server's URL and the run's key in the environment, not on the command line.
import { within } from "./_link.ts";
import { toHex } from "./_run_key.ts";

/**
 * What stage processes started here are given: the plugin modules they may load (`--plugin`), and whether they may
 * call native code (`--allow-ffi`: the native backend's BLAS). Their network is the server's host and port only.
 */
export interface SpawnedStages {
  plugins: readonly string[];
  ffi: boolean;
}

/**
 * Starts a stage process of run `run` on server `url` (`ca`: the PEM file its TLS certificate is checked against),
 * with the run's key `secret`.
 */
export function spawnStage(
  url: string,
  run: string,
  ca: string | undefined,
  secret: Uint8Array,
  { plugins, ffi }: SpawnedStages,
): Deno.ChildProcess {
  const cli = new URL("../../../cli.ts", import.meta.url).href;
  const u = new URL(url);
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      `--allow-net=${u.hostname}:${u.port || "4222"}`,
      ...(ffi ? ["--allow-ffi"] : []),
      cli,
      "stage",
      "--quiet",
      ...plugins.flatMap((p) => ["--plugin", p]),
    ],
    // The URL (it may carry a password) and the run key go in the environment, not on the command line; so
    // does the CA file (empty: none, whatever this process's environment says).
    env: {
      DNI_NATS_URL: url,
      DNI_NATS_RUN: run,
      DNI_NATS_CA: ca ?? "",
      DNI_RUN_KEY: toHex(secret),
      // A Ctrl-C in the terminal reaches the whole process group: the coordinator handles it (and ends the stage).
      DNI_STAGE_SPAWNED: "1",
    },
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
}

/** Ends the stage processes started here: SIGTERM, and SIGKILL to those still running 3 s later. */
export async function endStages(children: readonly Deno.ChildProcess[]): Promise<void> {
  for (const child of children) {
    try {
      child.kill("SIGTERM");
    } catch { /* it has exited */ }
  }
  const gone = Promise.all(children.map((c) => c.status));
  if (await within(gone, 3000) === undefined) {
    for (const child of children) {
      try {
        child.kill("SIGKILL");
      } catch { /* it has exited */ }
    }
    await gone;
  }
}
