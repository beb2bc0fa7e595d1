/**
 * The configurations the comparison trains: an interface on every hidden layer of an FCN of a given depth (the
 * DNI paper's FC-256 -> BN -> ReLU blocks, Adam 1e-3), on a dataset; plus the same model in TF.js layers. A row's
 * name says its model: `fcn3-csg-bn-mnist` is the spec of `examples/fcn3_csg_bn.json` on MNIST, never that of
 * `examples/fcn3_csg.json` (no batch norm); `configs_test.ts` holds every shared name to the same spec.
 *
 * @module
 */
import type { NetworkSpec } from "../network/spec.ts";

/** One row of the comparison. */
export interface CompareConfig {
  /** A short name, e.g. `fcn3-csg-bn-mnist`: the model (as the example spec of that name), the dataset. */
  name: string;
  /** `backprop`, `sg`, `csg`, or `tfjs-layers` for the TF.js peer. */
  interface: string;
  /** Number of hidden layers. */
  depth: number;
  /** Dataset name. */
  dataset: string;
  /** Workers: 1 for one thread; more runs sg/csg as a pipeline and backprop data-parallel. */
  workers: number;
  /** The spec (null for the TF.js peer, which builds the same model in TF.js layers). */
  spec: NetworkSpec | null;
  /** On a sequence task: steps per truncation window; left out there: the whole sequence (full BPTT). */
  truncation?: number;
}

/** The interfaces the comparison knows, plus the TF.js peer. */
export const COMPARE_INTERFACES = ["backprop", "sg", "csg", "tfjs-layers"] as const;

/**
 * The FCN spec used by the comparison: `depth` hidden layers of 256 units (FC -> BN -> ReLU), `iface` on each,
 * Adam 1e-3 for the network (and, by default, for the synthesizers).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fcnSpec } from "./configs.ts";
 *
 * const spec = fcnSpec(3, "csg");
 * assert.equal(spec.layers.length, 4); // three hidden layers and the output layer
 * assert.equal(spec.layers[0]?.interface, "csg");
 * ```
 */
export function fcnSpec(depth: number, iface: string, features = 784, classes = 10): NetworkSpec {
  return {
    input: [features],
    layers: [
      ...Array.from({ length: depth }, () => ({
        type: "dense",
        units: 256,
        activation: "relu",
        batchNorm: true,
        interface: iface,
      })),
      { type: "dense", units: classes },
    ],
    loss: "softmax-cross-entropy",
    optimizer: { type: "adam", learningRate: 0.001 },
  };
}

/**
 * Every combination of datasets x depths x worker counts x interfaces, in that nesting order. The TF.js peer runs
 * on one thread only. A row is named `fcn{depth}-{interface}-bn-{dataset}` (the FCN has batch norm: `fcn3-sg-bn` is
 * `examples/fcn3_sg_bn.json`), ending in `-wN` when it runs on N workers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareConfigs } from "./configs.ts";
 *
 * const names = compareConfigs(["backprop", "csg"], [3], ["mnist"], [1, 2]).map((c) => c.name);
 * assert.deepEqual(names, ["fcn3-backprop-bn-mnist", "fcn3-csg-bn-mnist", "fcn3-backprop-bn-mnist-w2", "fcn3-csg-bn-mnist-w2"]);
 * ```
 */
export function compareConfigs(
  interfaces: string[],
  depths: number[],
  datasets: string[],
  workers: number[] = [1],
): CompareConfig[] {
  return datasets.flatMap((dataset) =>
    depths.flatMap((depth) =>
      workers.flatMap((w) =>
        interfaces.filter((iface) => w === 1 || iface !== "tfjs-layers").map((iface) => ({
          name: `fcn${depth}-${iface}-bn-${dataset}${w > 1 ? `-w${w}` : ""}`,
          interface: iface,
          depth,
          dataset,
          workers: w,
          spec: iface === "tfjs-layers" ? null : fcnSpec(depth, iface),
        }))
      )
    )
  );
}

/**
 * Configurations from spec files' contents, e.g. the CNN of `examples/cnn_*.json`: one row each, named after the
 * file (`cnn_csg`), compared with the one-thread row whose interfaces are all `backprop` and whose layers are
 * otherwise the same. `interface` is the interfaces the spec names on its layers (`backprop` when none), `depth`
 * the number of hidden layers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fcnSpec, specConfigs } from "./configs.ts";
 *
 * const [row] = specConfigs([{ name: "fcn2_sg", spec: fcnSpec(2, "sg") }], ["mnist"]);
 * assert.equal(row!.interface, "sg");
 * assert.equal(row!.depth, 2);
 * assert.equal(row!.name, "fcn2_sg-mnist");
 * ```
 */
export function specConfigs(
  specs: { name: string; spec: NetworkSpec }[],
  datasets: string[],
  workers: number[] = [1],
): CompareConfig[] {
  return datasets.flatMap((dataset) =>
    workers.flatMap((w) =>
      specs.map(({ name, spec }) => {
        return {
          name: `${name}-${dataset}${w > 1 ? `-w${w}` : ""}`,
          interface: interfaceOf(spec),
          depth: depthOf(spec),
          dataset,
          workers: w,
          spec,
        };
      })
    )
  );
}

/**
 * The rows of a sequence comparison: one per truncation window and spec, window-major, named `NAME T=3` (`T=full`:
 * full BPTT). A row whose recurrent state has no interface other than backprop is the BPTT base of its window.
 */
export function sequenceConfigs(
  specs: { name: string; spec: NetworkSpec }[],
  task: string,
  truncations: (number | undefined)[],
): CompareConfig[] {
  return truncations.flatMap((t) =>
    specs.map(({ name, spec }) => {
      return {
        name: `${name} T=${t ?? "full"}`,
        interface: interfaceOf(spec),
        depth: depthOf(spec),
        dataset: task,
        workers: 1,
        spec,
        ...(t === undefined ? {} : { truncation: t }),
      };
    })
  );
}

/**
 * A spec's row interface: its decoupling kinds joined with `+` (`backprop` when none). A recurrent spec is named by
 * the interfaces on its lstm states (BPTT, `backprop`, without one); any other by those on its layers' outputs.
 */
export function interfaceOf(spec: NetworkSpec): string {
  const recurrent = spec.layers.some((l) => l.type === "lstm");
  const named = spec.layers.flatMap((l) => {
    const iface = recurrent ? l.stateInterface : l.interface;
    return iface === undefined ? [] : [typeof iface === "string" ? iface : iface.type];
  });
  const kinds = [...new Set(named.filter((t) => t !== "backprop"))];
  return kinds.length === 0 ? "backprop" : kinds.join("+");
}

/** A spec's row depth: its lstm layers, or, without any, its layers but the output layer. */
export function depthOf(spec: NetworkSpec): number {
  const lstm = spec.layers.filter((l) => l.type === "lstm").length;
  return lstm > 0 ? lstm : spec.layers.length - 1;
}
