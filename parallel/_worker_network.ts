// Private: how a Worker (pipeline stage or data-parallel replica) or a stage process makes its copy of the network:
// registries with the plugin modules the coordinator's network had (`pluginRegistries`, or the stage process's own,
// see `stageLoop`), the network built from the spec in them, set to the coordinator's current weights.
import { buildNetwork } from "../network/build.ts";
import type { Network } from "../network/network.ts";
import { loadPlugins } from "../network/plugins.ts";
import { createRegistries, type Registries } from "../network/registries.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { writeWeights } from "./_weights.ts";

/** Fresh registries with the plugin modules `plugins` (URLs) loaded. */
export async function pluginRegistries(plugins: readonly string[]): Promise<Registries> {
  const registries = createRegistries();
  await loadPlugins(plugins, registries);
  return registries;
}

/** The Worker's network: `spec` built in `registries`, at `weights` (`Network.variables` order). */
export function workerNetwork(
  spec: NetworkSpec,
  seed: number,
  registries: Registries,
  weights: Float32Array[],
): Network {
  const net = buildNetwork(spec, { seed, registries });
  writeWeights(net.variables, weights, "The coordinator");
  return net;
}
