// deno-lint-ignore-file no-import-prefix -- the bundler is the playground's own tool, pinned here, not a library dependency.
/**
 * Bundles the playground's browser entry (`playground/app.ts`) and the library modules it imports into one ES
 * module for the browser, with esbuild.
 *
 * The npm packages are read from Deno's npm cache, at the versions `deno.lock` pins: nothing is downloaded. The
 * library's one Deno edge, `deps.ts` (which starts the native backend through FFI), is replaced by
 * `playground/deps_browser.ts` (the same TF.js, started on wasm, else cpu). The bundle proves the rest runs
 * everywhere: it fails when the graph reaches a `node:` module, a file under `native/`, or library code that
 * calls Deno's APIs.
 *
 * @module
 */
import * as esbuild from "npm:esbuild@0.28.2";
import { builtinModules } from "node:module";

const ROOT = new URL("../", import.meta.url);
const rootPath = decodeURIComponent(ROOT.pathname).replace(/\/$/, "");

/** What `bundlePlayground` made: the bundle's code and the library files in it. */
export interface PlaygroundBundle {
  /** The bundle, an ES module. */
  code: string;
  /** The library's own files in the bundle (paths relative to the repository root). */
  libraryFiles: string[];
}

/** The npm cache of Deno (`deno info --json`'s `npmCache`), whose `registry.npmjs.org/NAME/VERSION` hold packages. */
export async function npmCacheDir(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped", stderr: "null" })
    .output();
  if (!out.success) throw new Error("deno info --json failed: cannot find Deno's npm cache");
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { npmCache: string };
  return `${info.npmCache}/registry.npmjs.org`;
}

/** The folder of npm package `name` at the version `deno.lock` pins for the specifier `npm:NAME@VERSION`. */
export async function packageDir(name: string, version: string): Promise<string> {
  const lock = await readLock();
  const key = lock.specifiers[`npm:${name}@${version}`];
  if (key === undefined) throw new Error(`deno.lock pins no npm:${name}@${version}`);
  return `${await npmCacheDir()}/${name}/${key.split("_")[0]}`;
}

interface Lock {
  specifiers: Record<string, string>;
  npm: Record<string, { dependencies?: string[] }>;
}

async function readLock(): Promise<Lock> {
  return JSON.parse(await Deno.readTextFile(`${rootPath}/deno.lock`)) as Lock;
}

// "name@version_peers" -> ["name", "version"].
function splitKey(key: string): [string, string] {
  const at = key.indexOf("@", 1);
  return [key.slice(0, at), key.slice(at + 1).split("_")[0]!];
}

// "npm:@scope/name@1.2.3/sub/path" -> ["@scope/name", "1.2.3", "/sub/path"].
function splitNpm(specifier: string): [string, string, string] {
  const rest = specifier.replace(/^npm:\/?/, "");
  const nameEnd = rest.startsWith("@") ? rest.indexOf("/") + 1 : 0;
  const at = rest.indexOf("@", nameEnd);
  const slash = rest.indexOf("/", at);
  const version = slash < 0 ? rest.slice(at + 1) : rest.slice(at + 1, slash);
  return [rest.slice(0, at), version, slash < 0 ? "" : rest.slice(slash)];
}

// Resolves `npm:` specifiers, and the bare imports inside npm packages, to files in Deno's npm cache, following
// deno.lock. Each package gets a folder of links to its dependencies (`node_modules/NAME`), which esbuild's own
// resolver then reads (package.json `exports`, `browser`, `module`, `main`).
async function denoNpm(): Promise<esbuild.Plugin> {
  const lock = await readLock();
  const registry = await npmCacheDir();
  const links = await Deno.makeTempDir({ prefix: "dni-playground-npm-" });
  const keys = Object.keys(lock.npm);
  const dirOf = (key: string) => `${registry}/${splitKey(key).join("/")}`;
  const keyOfDependency = (dep: string) =>
    dep.indexOf("@", 1) > 0 ? dep : keys.find((k) => splitKey(k)[0] === dep) ?? dep;
  const made = new Map<string, string>();
  // The folder whose node_modules links `key`'s dependencies (and `key` itself, for self-references).
  const linksOf = async (key: string): Promise<string> => {
    let dir = made.get(key);
    if (dir !== undefined) return dir;
    dir = `${links}/${made.size}`;
    const deps = [key, ...(lock.npm[key]?.dependencies ?? []).map(keyOfDependency)];
    for (const dep of deps) {
      const [name] = splitKey(dep);
      const link = `${dir}/node_modules/${name}`;
      await Deno.mkdir(link.slice(0, link.lastIndexOf("/")), { recursive: true });
      await Deno.symlink(dirOf(dep), link).catch(() => {});
    }
    made.set(key, dir);
    return dir;
  };
  const keyOfFile = (file: string): string | undefined => {
    const rest = file.slice(registry.length + 1).split("/");
    const [name, version] = rest[0]!.startsWith("@") ? [`${rest[0]}/${rest[1]}`, rest[2]] : [rest[0]!, rest[1]];
    return keys.find((k) => splitKey(k)[0] === name && splitKey(k)[1] === version);
  };
  return {
    name: "deno-npm",
    setup(build) {
      build.onResolve({ filter: /^npm:/ }, async (args) => {
        const [name, version, sub] = splitNpm(args.path);
        const key = lock.specifiers[`npm:${name}@${version}`];
        if (key === undefined) return { errors: [{ text: `deno.lock pins no npm:${name}@${version}` }] };
        const resolveDir = await linksOf(`${name}@${key}`);
        return await build.resolve(name + sub, { kind: args.kind, resolveDir, pluginData: "inner" });
      });
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === "inner" || !args.importer.startsWith(registry)) return undefined;
        const key = keyOfFile(args.importer);
        const name = args.path.startsWith("@") ? args.path.split("/", 2).join("/") : args.path.split("/")[0]!;
        const deps = key === undefined ? [] : [key, ...(lock.npm[key]?.dependencies ?? [])];
        if (!deps.some((d) => d === name || d.startsWith(`${name}@`))) {
          // Node's built-in modules, which TF.js's Node-only paths require: an empty module in the browser.
          return builtinModules.includes(name) ? { path: args.path, namespace: "node-builtin" } : undefined;
        }
        return await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: await linksOf(key!),
          pluginData: "inner",
        });
      });
      build.onLoad({ filter: /.*/, namespace: "node-builtin" }, () => ({ contents: "module.exports = {};" }));
      build.onEnd(() => Deno.remove(links, { recursive: true }).catch(() => {}));
    },
  };
}

// Comments out, so that a doc example's `Deno.makeTempDir` is not taken for code.
function codeOf(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

// The browser's edge instead of Deno's (deps.ts), and the check that nothing else in the library needs Deno.
function browserEdge(): esbuild.Plugin {
  const deps = `${rootPath}/deps.ts`;
  return {
    name: "browser-edge",
    setup(build) {
      build.onResolve({ filter: /^node:/ }, (args) => ({
        errors: [{ text: `Deno-only import "${args.path}" in ${args.importer}: the browser bundle cannot use it` }],
      }));
      build.onResolve({ filter: /deps\.ts$/ }, (args) => {
        const path = decodeURIComponent(new URL(args.path, `file://${args.resolveDir}/`).pathname);
        return path === deps ? { path: `${rootPath}/playground/deps_browser.ts` } : undefined;
      });
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (!args.path.startsWith(`${rootPath}/`)) return undefined;
        const file = args.path.slice(rootPath.length + 1);
        const source = await Deno.readTextFile(args.path);
        if (file.startsWith("native/") || /\bDeno\./.test(codeOf(source))) {
          return {
            errors: [{
              text: `${file} needs Deno's APIs (FFI, files, Workers) and is in the browser bundle's graph: ` +
                `keep it behind the host's edge (deps.ts)`,
            }],
          };
        }
        return { contents: source, loader: "ts" };
      });
    },
  };
}

/**
 * Bundles `playground/app.ts` (or another entry) for the browser.
 *
 * @param entry The entry module's path. @default {"playground/app.ts"}
 * @throws {Error} When esbuild fails, e.g. because a Deno-only module is in the graph (the message names it).
 */
export async function bundlePlayground(entry = `${rootPath}/playground/app.ts`): Promise<PlaygroundBundle> {
  try {
    const result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: "esm",
      platform: "browser",
      target: "es2022",
      metafile: true,
      logLevel: "silent",
      plugins: [browserEdge(), await denoNpm()],
    });
    const libraryFiles = Object.keys(result.metafile.inputs)
      .map((p) => decodeURIComponent(new URL(p, `file://${Deno.cwd()}/`).pathname))
      .filter((p) => p.startsWith(`${rootPath}/`))
      .map((p) => p.slice(rootPath.length + 1));
    return { code: result.outputFiles[0]!.text, libraryFiles };
  } catch (error) {
    const failure = error as esbuild.BuildFailure;
    if (Array.isArray(failure.errors)) {
      throw new Error(
        `Cannot bundle the playground:\n${
          failure.errors.map((e) => `  ${e.text}${e.location ? ` (${e.location.file}:${e.location.line})` : ""}`).join(
            "\n",
          )
        }`,
      );
    }
    throw error;
  } finally {
    await esbuild.stop();
  }
}

if (import.meta.main) {
  const { code, libraryFiles } = await bundlePlayground();
  console.log(`bundled ${libraryFiles.length} library files, ${(code.length / 1e6).toFixed(1)} MB:`);
  console.log(libraryFiles.join(" "));
}
