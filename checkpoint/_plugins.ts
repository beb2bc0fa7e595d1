// Private: the plugin modules a checkpoint recorded (manifest `plugins`), against those the caller loaded into the
// registries it loads with. The recorded URLs are data: nothing here imports anything. A recorded module counts as
// given when a loaded one has its source (the same SHA-256, at any URL) or its URL; given at its URL with other
// source, it is refused unless allowed (then a warning); not given at all, it is named if the spec cannot be built.
import { join } from "node:path";
import { CheckpointError } from "../errors.ts";
import { loadedPluginSha256 } from "../network/plugins.ts";
import type { Registries } from "../network/registries.ts";
import { CHECKPOINT_FILES, type PluginEntry } from "./format.ts";
import type { Checkpoint } from "./read.ts";

// What to do with a recorded plugin whose source changed (LoadCheckpointOptions's).
interface PluginChangeOptions {
  /** Load it anyway, with a warning. @default {false} */
  allowPluginChange?: boolean;
  /** Where the warning goes. @default {console.warn} */
  onWarning?: (message: string) => void;
}

/**
 * Compares the checkpoint's recorded plugins with those loaded into `registries`.
 *
 * @returns The recorded plugins that are not loaded (for the message when the spec cannot be built).
 * @throws {CheckpointError} For the first recorded plugin loaded at its URL with other source (or source that could
 *   not be read), unless `allowPluginChange`; then it warns once per such plugin.
 */
export function checkPlugins(
  checkpoint: Checkpoint,
  registries: Registries,
  { allowPluginChange = false, onWarning = console.warn }: PluginChangeOptions = {},
): PluginEntry[] {
  const missing: PluginEntry[] = [];
  const loaded = new Map(registries.plugins.map((url) => [url, loadedPluginSha256(registries, url)]));
  const sources = new Set(loaded.values());
  for (const recorded of checkpoint.manifest.plugins ?? []) {
    if (sources.has(recorded.sha256)) continue;
    if (!loaded.has(recorded.url)) {
      missing.push(recorded);
      continue;
    }
    const now = loaded.get(recorded.url);
    const change = `was saved with the plugin module ${recorded.url} of SHA-256 ${short(recorded.sha256)}, and ` +
      (now === undefined
        ? "the one loaded now has a source that could not be read to compare it (a remote module without --allow-net)"
        : `the one loaded now has SHA-256 ${short(now)}: its source changed since the save`);
    if (!allowPluginChange) {
      throw new CheckpointError(
        join(checkpoint.dir, CHECKPOINT_FILES.manifest),
        `${change}; pass --allow-plugin-change (from code: allowPluginChange: true) to run it anyway`,
      );
    }
    onWarning(`warning: checkpoint ${checkpoint.dir} ${change}; running it anyway (--allow-plugin-change)`);
  }
  return missing;
}

/**
 * What to add to "cannot be built" when the spec names something no registry knows and the checkpoint recorded
 * plugins that are not loaded; empty otherwise.
 */
export function missingPluginsHint(missing: readonly PluginEntry[], problem: string): string {
  if (missing.length === 0 || !/ is not a known /.test(problem)) return "";
  const urls = missing.map((p) => p.url);
  return `; the checkpoint was saved with the plugin module${urls.length > 1 ? "s" : ""} ${urls.join(", ")}, ` +
    `not loaded here: pass ${urls.map((url) => `--plugin ${url}`).join(" ")} (from code: loadPlugins(` +
    `${JSON.stringify(urls)}, registries) and give those registries to loadCheckpoint)`;
}

// The first 12 hex digits, as the stage processes print them.
function short(sha256: string): string {
  return `${sha256.slice(0, 12)}…`;
}
