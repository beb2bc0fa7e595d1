// What the NATS tests share: a nats-server on a free loopback port, stage processes started as a user would start
// them on another host, and a run key. Without nats-server (outside CI) the tests are ignored, with a line saying so.
import { natsServerMissing, requires } from "./_requires.ts";
import { newRunKey } from "../parallel/transport/nats/_run_key.ts";

/** The requirement of the NATS tests on nats-server. */
export const needsNats = (file: string) => requires(file, "the NATS pipeline tests", natsServerMissing());

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** A nats-server of the test: its port, its process, and how to stop it. */
export interface TestServer {
  port: number;
  url: string;
  child: Deno.ChildProcess;
  stop: () => Promise<void>;
}

/**
 * A nats-server on a free loopback port (with `args`: credentials `--user U --pass P` or `--auth TOKEN`, TLS
 * `--tls --tlscert F --tlskey F`, a configuration `-c FILE`), stopped by `stop()`.
 */
export async function natsServer(args: string[] = []): Promise<TestServer> {
  const port = freePort();
  const child = new Deno.Command("nats-server", {
    args: ["-a", "127.0.0.1", "-p", String(port), ...args],
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 100; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    child,
    stop: async () => {
      try {
        child.kill("SIGCONT"); // a test may have frozen it
        child.kill("SIGTERM");
      } catch { /* it has exited */ }
      await child.status;
    },
  };
}

/** A run key for a test, as the hex digits `DNI_RUN_KEY` takes. */
export const testKey = (): string => newRunKey();

/**
 * `count` stage processes of run `run` with run key `key`, started as a user would on another host (narrow network
 * permission: the server's address only), with `plugins` allowed (`--plugin`).
 */
export function stageProcesses(
  url: string,
  run: string,
  count: number,
  key: string,
  options: { plugins?: string[]; stderr?: "inherit" | "piped" | "null" } = {},
): Deno.ChildProcess[] {
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const host = new URL(url).host;
  return Array.from({ length: count }, () =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-env",
        `--allow-net=${host}`,
        "--allow-ffi",
        cli,
        "stage",
        "--quiet",
        ...(options.plugins ?? []).flatMap((p) => ["--plugin", p]),
      ],
      env: { DNI_NATS_URL: url, DNI_NATS_RUN: run, DNI_RUN_KEY: key },
      stdin: "null",
      stdout: "null",
      stderr: options.stderr ?? "inherit",
    }).spawn());
}

/** Kills `children` and waits until they are gone. */
export async function ended(children: Deno.ChildProcess[]): Promise<void> {
  for (const c of children) {
    try {
      c.kill("SIGKILL");
    } catch { /* exited */ }
  }
  await Promise.all(children.map((c) => c.status));
}
