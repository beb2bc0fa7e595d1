/**
 * Plugin modules: a module that exports `register(registries)` and adds its interfaces (and layers, optimizers,
 * losses) to the registries it is given. `loadPlugin` imports one by path or URL and records its URL in the
 * registries, so that Workers (which build the network again from its spec) load it too, and the SHA-256 of its
 * source, which a checkpoint's record of the plugin is compared with.
 *
 * @module
 */
import { MAX_PLUGIN_FILE_BYTES, readRegularFile } from "../_files.ts";
import { sha256 } from "../datasets/files.ts";
import { PluginError } from "../errors.ts";
import { defaultRegistries, type Registries } from "./registries.ts";

/** What a plugin module exports. */
export interface PluginModule {
  /** Adds the plugin's factories to `registries` (e.g. `registries.interfaces.register("drtp", createDrtp)`). */
  register(registries: Registries): void;
}

/**
 * The URL of a plugin module given as a URL (`https:`, `file:`, ...) or as a path relative to `base`.
 *
 * @example
 * ```ts
 * import { pluginUrl } from "./plugins.ts";
 * console.assert(pluginUrl("./x.ts", "file:///home/me/") === "file:///home/me/x.ts");
 * console.assert(pluginUrl("https://example.com/p.ts") === "https://example.com/p.ts");
 * ```
 */
export function pluginUrl(specifier: string, base: string = `file://${Deno.cwd()}/`): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(specifier) && !/^[a-z]:[\\/]/i.test(specifier)) return new URL(specifier).href;
  return new URL(specifier, base).href;
}

/**
 * Imports the plugin module `specifier` (a path, relative to the working directory, or a URL) and calls its
 * `register(registries)`. Loading the same module into the same registries again does nothing. Records its URL in
 * `registries.plugins`, and the SHA-256 of its source for `loadedPluginSha256` (a local module's bytes as read
 * before the import; another's when it can be fetched without asking for a permission: a `data:` URL, or a host
 * that `--allow-net` grants), so that loading a checkpoint that recorded the module tells whether its source
 * changed.
 *
 * @param specifier A path or URL.
 * @param registries Where the plugin registers. @default {defaultRegistries}
 * @returns The module's URL, as recorded in `registries.plugins`.
 * @throws {PluginError} If the module cannot be imported (a local file that is not a regular file, a FIFO or a
 *   device, or is over 64 MiB, is refused before Deno's loader opens it), has no `register` function, or `register`
 *   throws.
 *
 * @example Load the drtp example plugin into registries of one's own
 * ```ts
 * import assert from "node:assert/strict";
 * import { createRegistries, loadPlugin } from "../mod.ts";
 *
 * const registries = createRegistries();
 * const url = await loadPlugin(new URL("../examples/plugins/drtp.ts", import.meta.url).href, registries);
 * assert.ok(registries.interfaces.has("drtp"));
 * assert.deepEqual(registries.plugins, [url]);
 * await assert.rejects(loadPlugin("./no/such/plugin.ts", registries), /Cannot load plugin "\.\/no\/such\/plugin\.ts"/);
 * ```
 */
export async function loadPlugin(specifier: string, registries: Registries = defaultRegistries): Promise<string> {
  if (typeof specifier !== "string" || specifier.length === 0) {
    throw new PluginError(String(specifier), "the module must be a non-empty path or URL");
  }
  let url: string;
  try {
    url = pluginUrl(specifier);
  } catch (error) {
    throw new PluginError(specifier, `it is not a valid path or URL (${(error as Error).message})`);
  }
  if (registries.plugins.includes(url)) return url;
  const local = url.startsWith("file:") ? await readPluginFile(specifier, url) : undefined;
  let module: Partial<PluginModule>;
  try {
    module = await import(url);
  } catch (error) {
    const reason = (error as Error).message.split("\n")[0];
    throw new PluginError(specifier, `importing ${url} failed: ${reason}`);
  }
  if (typeof module.register !== "function") {
    throw new PluginError(
      specifier,
      `it exports no register(registries) function (exports: ${Object.keys(module).join(", ") || "none"})`,
    );
  }
  try {
    module.register(registries);
  } catch (error) {
    throw new PluginError(specifier, `its register() threw: ${(error as Error).message}`);
  }
  const digest = local ?? await fetchedSha256(url);
  registries.plugins.push(url);
  if (digest !== undefined) {
    const sources = loaded.get(registries) ?? new Map<string, string>();
    loaded.set(registries, sources.set(url, digest));
  }
  return url;
}

// The SHA-256 of each module loadPlugin loaded, by registries, by URL.
const loaded = new WeakMap<Registries, Map<string, string>>();

/**
 * The SHA-256 (hex) of the source of the plugin module `url` as `loadPlugin` read it when it loaded it into
 * `registries`; undefined if it did not (not loaded there, or its source could not be read without a prompt).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createRegistries, loadPlugin } from "../mod.ts";
 * import { loadedPluginSha256, pluginSha256 } from "./plugins.ts";
 *
 * const registries = createRegistries();
 * const url = await loadPlugin(new URL("../examples/plugins/drtp.ts", import.meta.url).href, registries);
 * assert.equal(loadedPluginSha256(registries, url), await pluginSha256(url));
 * assert.equal(loadedPluginSha256(createRegistries(), url), undefined);
 * ```
 */
export function loadedPluginSha256(registries: Registries, url: string): string | undefined {
  return loaded.get(registries)?.get(url);
}

/**
 * Loads several plugin modules in order (see `loadPlugin`).
 *
 * @returns Their URLs.
 */
export async function loadPlugins(
  specifiers: readonly string[],
  registries: Registries = defaultRegistries,
): Promise<string[]> {
  const urls: string[] = [];
  for (const s of specifiers) urls.push(await loadPlugin(s, registries));
  return urls;
}

/**
 * The SHA-256 (hex) of the source of the plugin module `url`: a `file:` module is read (a regular file of at most
 * 64 MiB), another is fetched (a remote one needs `--allow-net`). What a checkpoint records of a plugin, and what
 * a stage process over NATS compares a coordinator's plugins with.
 *
 * @param url The module's URL (`pluginUrl`).
 * @returns 64 hex digits.
 * @throws {PluginError} If the source cannot be read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pluginSha256 } from "./plugins.ts";
 *
 * const digest = await pluginSha256(new URL("../examples/plugins/drtp.ts", import.meta.url).href);
 * assert.match(digest, /^[0-9a-f]{64}$/);
 * await assert.rejects(pluginSha256("file:///no/such/plugin.ts"), /file:\/\/\/no\/such\/plugin\.ts does not exist/);
 * ```
 */
export async function pluginSha256(url: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    if (url.startsWith("file:")) {
      bytes = await readRegularFile(new URL(url), {
        what: "a plugin module",
        maxBytes: MAX_PLUGIN_FILE_BYTES,
        fail: (problem) => new PluginError(url, `${url} ${problem}`),
      });
    } else {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      bytes = new Uint8Array(await response.arrayBuffer());
    }
  } catch (error) {
    if (error instanceof PluginError) throw error;
    throw new PluginError(url, `cannot read its source to check it: ${(error as Error).message.split("\n")[0]}`);
  }
  return await sha256(bytes);
}

// A local module must be a regular file of at most 64 MiB: a FIFO would block Deno's loader forever, a device feed
// it without end. Its SHA-256, from the bytes read; a file that cannot be read (missing) is left to the import,
// which says why.
async function readPluginFile(specifier: string, url: string): Promise<string | undefined> {
  try {
    return await sha256(
      await readRegularFile(new URL(url), {
        what: "a plugin module",
        maxBytes: MAX_PLUGIN_FILE_BYTES,
        fail: (problem, cause) => cause instanceof Error ? cause : new PluginError(specifier, `${url} ${problem}`),
      }),
    );
  } catch (error) {
    if (error instanceof PluginError) throw error;
    return undefined;
  }
}

// The SHA-256 of a module that is not a local file, where it can be fetched without a prompt: a data: URL, or a
// host that the net permission already grants. Unknown (undefined) otherwise: a checkpoint then cannot compare it.
async function fetchedSha256(url: string): Promise<string | undefined> {
  const { protocol, host } = new URL(url);
  if (protocol === "file:") return undefined;
  if (protocol !== "data:" && (host === "" || Deno.permissions.querySync({ name: "net", host }).state !== "granted")) {
    return undefined;
  }
  try {
    return await pluginSha256(url);
  } catch {
    return undefined;
  }
}
