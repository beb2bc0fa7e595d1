// Private: which plugin modules a stage process over NATS may run. Code never comes from the wire: a stage process
// imports only the modules its own command line names (`deno task stage --plugin PATH_OR_URL`), at its start; the
// coordinator names the plugins its network needs by URL and SHA-256 of their source, and a plugin the stage was not
// started with (or whose source differs) is an error on both sides, never an import.
import { PluginError } from "../../../errors.ts";
import { loadPlugin, pluginSha256, pluginUrl } from "../../../network/plugins.ts";
import { createRegistries, type Registries } from "../../../network/registries.ts";

/** A plugin module: its URL and the SHA-256 (hex) of its source. */
export interface PluginId {
  url: string;
  sha256: string;
}

/** The URLs and SHA-256 of `urls` (the coordinator's plugins, as it names them to its stage processes). */
export async function pluginIds(urls: readonly string[]): Promise<PluginId[]> {
  return await Promise.all(urls.map(async (url) => ({ url, sha256: await pluginSha256(url) })));
}

/** A stage process's plugins: loaded once at its start, into registries of its own. */
export class StagePlugins {
  readonly allowed: readonly PluginId[];
  readonly #registries: Registries;

  private constructor(allowed: PluginId[], registries: Registries) {
    this.allowed = allowed;
    this.#registries = registries;
  }

  /**
   * Imports the modules `specifiers` (paths or URLs, from the stage's own command line).
   *
   * @throws {PluginError} If one cannot be read or loaded.
   */
  static async load(specifiers: readonly string[]): Promise<StagePlugins> {
    const registries = createRegistries();
    const allowed: PluginId[] = [];
    for (const specifier of specifiers) {
      const url = await loadPlugin(specifier, registries);
      allowed.push({ url, sha256: await pluginSha256(pluginUrl(specifier)) });
    }
    return new StagePlugins(allowed, registries);
  }

  /**
   * The registries, once every plugin the coordinator asks for is one this process was started with: the same
   * source (SHA-256; the URL may differ from host to host, and is named in the error).
   *
   * @throws {PluginError} For the first requested plugin that is not allowed, naming both lists.
   */
  registriesFor(requested: readonly PluginId[]): Registries {
    for (const want of requested) {
      if (this.allowed.some((a) => a.sha256 === want.sha256)) continue;
      const same = this.allowed.find((a) => a.url === want.url);
      const allowed = this.allowed.length === 0
        ? "it was started with no --plugin"
        : `its --plugin modules: ${this.allowed.map((a) => `${a.url} (sha256 ${a.sha256.slice(0, 12)}…)`).join(", ")}`;
      throw new PluginError(
        want.url,
        `not allowed on this stage process (sha256 ${want.sha256.slice(0, 12)}…): ` +
          (same ? `its own copy of ${same.url} has other source; ` : "") +
          `a stage process imports only the plugins its command line names (deno task stage --plugin PATH_OR_URL), ` +
          `and ${allowed}`,
      );
    }
    return this.#registries;
  }
}
