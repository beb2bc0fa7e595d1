import assert from "node:assert/strict";
import { DATASET_NAMES } from "../datasets/catalog.ts";
import { buildNetwork } from "../network/build.ts";
import { createRegistries } from "../network/registries.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { COMPARE_INTERFACES, compareConfigs } from "./configs.ts";

// The example specs by name, `_` and `-` alike (`fcn3_csg_bn`), from examples/ and examples/plugins/.
function exampleSpecs(): Map<string, { file: string; spec: NetworkSpec }> {
  const specs = new Map<string, { file: string; spec: NetworkSpec }>();
  for (const folder of ["../examples/", "../examples/plugins/"]) {
    const dir = new URL(folder, import.meta.url);
    for (const entry of Deno.readDirSync(dir)) {
      if (!entry.isFile || !entry.name.endsWith(".json")) continue;
      const file = new URL(entry.name, dir);
      specs.set(key(entry.name.slice(0, -".json".length)), {
        file: file.pathname,
        spec: JSON.parse(Deno.readTextFileSync(file)),
      });
    }
  }
  return specs;
}

const key = (name: string) => name.replaceAll("-", "_");

// A spec as the network built from it says it (the normaliser of `train --json`'s `spec`: defaults filled in).
function normalised(spec: NetworkSpec): NetworkSpec {
  const net = buildNetwork(spec, { seed: 0 });
  try {
    return net.getSpec();
  } finally {
    net.dispose();
  }
}

Deno.test("compareConfigs() rows share a name with an example spec only where they are the same spec", () => {
  const examples = exampleSpecs();
  const interfaces = [...new Set([...COMPARE_INTERFACES, ...createRegistries().interfaces.names()])];
  const depths = Array.from({ length: 16 }, (_, i) => i + 1); // what --depths takes
  const shared = new Set<string>();
  for (const row of compareConfigs(interfaces, depths, [...DATASET_NAMES], [1, 2])) {
    // The model's part of the name: without the dataset and the workers (`fcn3-csg-bn-mnist-w2` -> `fcn3-csg-bn`).
    const model = row.name.replace(/-w\d+$/, "").slice(0, -(row.dataset.length + 1));
    assert.equal(`${model}-${row.dataset}${row.workers > 1 ? `-w${row.workers}` : ""}`, row.name);
    const example = examples.get(key(model));
    if (example === undefined) continue;
    assert.ok(row.spec !== null, `row ${row.name} (the TF.js peer) is named like ${example.file}, a spec of dni`);
    assert.deepEqual(
      normalised(row.spec),
      normalised(example.spec),
      `row ${row.name} is named like ${example.file} but is another model`,
    );
    shared.add(key(model));
  }
  // Not vacuous: the paper's FCN-3 of each interface has its example.
  for (const name of ["fcn3_backprop_bn", "fcn3_sg_bn", "fcn3_csg_bn"]) assert.ok(shared.has(name), name);
});
