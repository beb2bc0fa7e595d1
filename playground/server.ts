/**
 * `deno task playground [--port N]`: serves the playground on 127.0.0.1 (port 8080 when free, else any free one;
 * `--port N` asks for N) and prints its URL. Everything the page needs is served from here, offline: the page, the
 * library bundled for the browser (`bundle.ts`, built once at start), TF.js's `.wasm` files from Deno's npm cache,
 * and the MNIST files the project ships (`datasets/data/mnist`).
 *
 * @module
 */
import { bundlePlayground, packageDir } from "./bundle.ts";

const ROOT = new URL("../", import.meta.url);
const WASM_FILES = ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"];
const MNIST_FILES = [
  "train-images-idx3-ubyte.gz",
  "train-labels-idx1-ubyte.gz",
  "t10k-images-idx3-ubyte.gz",
  "t10k-labels-idx1-ubyte.gz",
];

/** A running playground. */
export interface Playground {
  /** Its address, `http://127.0.0.1:PORT/`. */
  url: string;
  /** The library's files in the page's bundle. */
  libraryFiles: string[];
  /** Stops serving. */
  shutdown(): Promise<void>;
}

/** Options of `startPlayground`. */
export interface PlaygroundOptions {
  /** The port; by default 8080 when it is free, else a free one. */
  port?: number;
}

/** Bundles the page's code, then serves the playground on 127.0.0.1. */
export async function startPlayground({ port }: PlaygroundOptions = {}): Promise<Playground> {
  const { code, libraryFiles } = await bundlePlayground();
  const wasmDir = `${await packageDir("@tensorflow/tfjs-backend-wasm", "4.22.0")}/dist`;
  const page = await Deno.readTextFile(new URL("page.html", import.meta.url));
  const handler = async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    const file = path.slice(path.lastIndexOf("/") + 1);
    if (path === "/" || path === "/index.html") return respond(page, "text/html; charset=utf-8");
    if (path === "/app.js") return respond(code, "text/javascript; charset=utf-8");
    if (path === `/wasm/${file}` && WASM_FILES.includes(file)) {
      return respond(await Deno.readFile(`${wasmDir}/${file}`), "application/wasm");
    }
    if (path === `/data/mnist/${file}` && MNIST_FILES.includes(file)) {
      return respond(await Deno.readFile(new URL(`datasets/data/mnist/${file}`, ROOT)), "application/octet-stream");
    }
    return new Response("not found", { status: 404 });
  };
  const serve = (p: number) => Deno.serve({ hostname: "127.0.0.1", port: p, onListen() {} }, handler);
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = serve(port ?? 8080);
  } catch (error) {
    if (port !== undefined || !(error instanceof Deno.errors.AddrInUse)) throw error;
    server = serve(0);
  }
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    libraryFiles,
    shutdown: () => server.shutdown(),
  };
}

function respond(body: string | Uint8Array, type: string): Response {
  return new Response(body as BodyInit, { headers: { "content-type": type, "cache-control": "no-store" } });
}

/** The port of `--port N` / `--port=N` in `args`, undefined without one. */
export function parsePort(args: readonly string[]): number | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = arg === "--port" ? args[++i] : arg.startsWith("--port=") ? arg.slice(7) : undefined;
    if (arg !== "--port" && value === undefined) throw new TypeError(`Unknown option "${arg}": use --port N`);
    const port = Number(value);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new RangeError(`--port takes a port number (0-65535), got "${value}"`);
    }
    return port;
  }
  return undefined;
}

if (import.meta.main) {
  let port: number | undefined;
  try {
    port = parsePort(Deno.args);
  } catch (error) {
    console.error(`playground: ${(error as Error).message}`);
    Deno.exit(2);
  }
  const playground = await startPlayground({ port });
  console.log(`dni playground: ${playground.url} (Ctrl-C stops it)`);
  console.log(`  e.g. ${playground.url}?iface=csg,csg&steps=500&autostart=1`);
}
