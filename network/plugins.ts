/**
 * Plugin modules: a module that exports `register(registries)` and adds its interfaces (and layers, optimizers,
 * losses) to the registries it is given. `loadPlugin` imports one by path or URL and records its URL in the
 * registries, so that Workers (which build the network again from its spec) load it too.
 *
 * @module
 */
import { checkRegularFile, MAX_PLUGIN_FILE_BYTES } from "../_files.ts";
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
 * `register(registries)`. Loading the same module into the same registries again does nothing.
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
  if (url.startsWith("file:")) await checkPluginFile(specifier, url);
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
  registries.plugins.push(url);
  return url;
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

// A local module must be a regular file of at most 64 MiB: a FIFO would block Deno's loader forever, a device feed
// it without end. A file that cannot be examined (missing) is left to the import, which says why.
async function checkPluginFile(specifier: string, url: string): Promise<void> {
  try {
    await checkRegularFile(new URL(url), {
      what: "a plugin module",
      maxBytes: MAX_PLUGIN_FILE_BYTES,
      fail: (problem, cause) => cause instanceof Error ? cause : new PluginError(specifier, `${url} ${problem}`),
    });
  } catch (error) {
    if (error instanceof PluginError) throw error;
  }
}
