// Private: how a Worker (pipeline stage or data-parallel replica) makes its copy of the network: the plugin modules
// the coordinator's network had, loaded into fresh registries, the network built from the spec, set to the
// coordinator's current weights.
import { buildNetwork } from "../network/build.ts";
import type { Network } from "../network/network.ts";
import { loadPlugins } from "../network/plugins.ts";
import { createRegistries } from "../network/registries.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { writeWeights } from "./_weights.ts";

/** The Worker's network: `spec` with `plugins` loaded, at `weights` (`Network.variables` order). */
export async function workerNetwork(
  spec: NetworkSpec,
  seed: number,
  plugins: readonly string[],
  weights: Float32Array[],
): Promise<Network> {
  const registries = createRegistries();
  await loadPlugins(plugins, registries);
  const net = buildNetwork(spec, { seed, registries });
  writeWeights(net.variables, weights, "The coordinator");
  return net;
}
