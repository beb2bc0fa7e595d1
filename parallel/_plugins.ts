// Private: Workers build the network again from its spec, in registries of their own filled with the plugin
// modules the network's registries had (`network.plugins`). A name registered without a module cannot reach them.
import { createRegistries } from "../network/registries.ts";
import { loadPlugins } from "../network/plugins.ts";
import type { Network } from "../network/network.ts";
import type { Registries } from "../network/registries.ts";

/**
 * Loads `network.plugins` into fresh registries, as each Worker will, and checks that every name in the network's
 * spec is there.
 *
 * @throws {PluginError} If a plugin module cannot be loaded.
 * @throws {Error} If a name of the spec was registered without a module; the message says how to fix it.
 */
export async function checkWorkerPlugins(network: Network): Promise<void> {
  const registries = createRegistries();
  await loadPlugins(network.plugins, registries);
  const spec = network.getSpec();
  const nameOf = (v: unknown) => typeof v === "string" ? v : (v as { type?: string } | undefined)?.type;
  // A sequence network's per-step loss and its lstm layers are built in, not looked up.
  const sequence = network.kind === "sequence";
  const names: [keyof Omit<Registries, "plugins">, string, unknown][] = [
    ...(sequence ? [] : [["losses", "loss", spec.loss] as [keyof Omit<Registries, "plugins">, string, unknown]]),
    ["optimizers", "optimizer", spec.optimizer],
  ];
  spec.layers.forEach((l, i) => {
    if (!(sequence && l.type === "lstm")) names.push(["layers", `layer type of layer ${i}`, l.type]);
    names.push(["interfaces", `interface of layer ${i}`, l.interface]);
    names.push(["interfaces", `state interface of layer ${i}`, l.stateInterface]);
    names.push(["optimizers", `optimizer of layer ${i}`, l.optimizer]);
  });
  for (const [registry, what, value] of names) {
    const name = nameOf(value);
    if (name === undefined || registries[registry].has(name)) continue;
    const loaded = network.plugins.length > 0 ? network.plugins.join(", ") : "none";
    throw new Error(
      `Cannot run the ${what}, "${name}", in a Worker: no plugin module registers it (plugins loaded: ${loaded}). ` +
        `Workers build the network in registries of their own: put its factory in a module that exports ` +
        `register(registries) and load it with loadPlugin(url, registries) before buildNetwork (CLI: --plugin PATH)`,
    );
  }
}
