/**
 * `--plugin PATH_OR_URL` (repeatable) of `train`, `evaluate` and `compare`: plugin modules loaded into registries
 * of the command's own, which it builds its networks with (and which Workers load again).
 *
 * @module
 */
import { loadPlugins } from "../network/plugins.ts";
import { createRegistries, type Registries } from "../network/registries.ts";
import { UsageError } from "./args.ts";

/** The usage line of `--plugin`, for each command's help. */
export const PLUGIN_USAGE =
  `  --plugin PATH_OR_URL    load an interface plugin module (exports register(registries)); repeatable`;

/** The parseArgs option of `--plugin`. */
export const PLUGIN_OPTION = { plugin: { type: "string", multiple: true } } as const;

/** The usage line of `--allow-plugin-change`, for the commands that load a checkpoint. */
export const ALLOW_PLUGIN_CHANGE_USAGE =
  `  --allow-plugin-change   with --load: run a plugin module whose source changed since the checkpoint was saved
                          (its SHA-256 differs from the one the checkpoint recorded), with a warning`;

/** The parseArgs option of `--allow-plugin-change`. */
export const ALLOW_PLUGIN_CHANGE_OPTION = { "allow-plugin-change": { type: "boolean" } } as const;

/** The `--plugin` values, in order. */
export function pluginFlag(values: Record<string, unknown>): string[] {
  const raw = values.plugin as string[] | string | undefined;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  for (const p of list) if (p === "") throw new UsageError("--plugin needs a path or URL");
  return list;
}

/**
 * New registries with the built-ins and the plugin modules `specifiers`.
 *
 * @throws {PluginError} If a module cannot be loaded or has no `register(registries)`.
 */
export async function pluginRegistries(specifiers: readonly string[]): Promise<Registries> {
  const registries = createRegistries();
  await loadPlugins(specifiers, registries);
  return registries;
}
