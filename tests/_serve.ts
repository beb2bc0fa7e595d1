// Shared helpers for the tests that use `dni` from outside the package: the repository served over HTTP on
// 127.0.0.1, and `deno` run in a folder of its own.

/** The repository, served over HTTP on a free port of 127.0.0.1. */
export interface ServedRepository {
  /** `127.0.0.1:PORT`, for URLs and `--allow-import` / `--allow-net`. */
  host: string;
  /** Stops the server. */
  close(): Promise<void>;
}

const root = new URL("../", import.meta.url);

/** Serves the repository's files (TypeScript as `application/typescript`); 404 for anything else. */
export function serveRepository(): ServedRepository {
  const controller = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: controller.signal, onListen() {} },
    async (req) => {
      try {
        const body = await Deno.readFile(new URL("." + new URL(req.url).pathname, root));
        const type = req.url.endsWith(".ts") ? "application/typescript" : "application/octet-stream";
        return new Response(body, { headers: { "content-type": type } });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  return {
    host: `127.0.0.1:${server.addr.port}`,
    async close() {
      controller.abort();
      await server.finished;
    },
  };
}

/** What a `deno` run gave. */
export interface DenoRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `deno ...args` in `cwd`, without colours, and collects its output. */
export async function runDeno(args: string[], cwd: string): Promise<DenoRun> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1", DNI_BACKEND: "" }, // the default backend, whatever pass of the suite runs this
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}
