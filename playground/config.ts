/**
 * The playground's configuration, read from and written to the page's query string, so that a setup is a link:
 * `?iface=csg,sg&hidden=128,128&batch=64&lr=0.001&steps=500&train=4000&test=1000&seed=1&every=25`, plus
 * `autostart=1` to train at once (for automation). Missing or bad values take the defaults.
 *
 * @module
 */

/** The interfaces a hidden layer can have, as the library's registry names them. */
export const INTERFACES = ["backprop", "sg", "csg", "local-loss"] as const;

/** An interface name of `INTERFACES`. */
export type InterfaceName = typeof INTERFACES[number];

/** A playground setup. */
export interface Config {
  /** Units of each hidden layer (`hidden=128,128`). */
  hidden: number[];
  /** The interface of each hidden layer (`iface=csg,csg`). */
  interfaces: InterfaceName[];
  /** Batch size (`batch`). @default {64} */
  batch: number;
  /** Adam's learning rate (`lr`). @default {0.001} */
  learningRate: number;
  /** Training steps (`steps`). @default {500} */
  steps: number;
  /** Training images: the first `train` of MNIST's training file. @default {4000} */
  train: number;
  /** Test images: the first `test` of MNIST's test file. @default {1000} */
  test: number;
  /** Seed of the initial weights and of the batch order. @default {1} */
  seed: number;
  /** Evaluate and probe every `every` steps. @default {25} */
  every: number;
  /** Train as soon as the page is loaded (`autostart=1`). */
  autostart: boolean;
}

function int(value: string | null, fallback: number, lo: number, hi: number): number {
  const n = Number(value);
  return value !== null && value !== "" && Number.isInteger(n) && n >= lo && n <= hi ? n : fallback;
}

/** The setup a query string (`location.search`) describes. */
export function readConfig(search: string): Config {
  const q = new URLSearchParams(search);
  const names = (q.get("iface") ?? "").split(",").filter((s) => s !== "");
  const units = (q.get("hidden") ?? "").split(",").filter((s) => s !== "").map((s) => int(s, 128, 1, 1024));
  const depth = Math.min(6, Math.max(names.length, units.length) || 2);
  const hidden = Array.from({ length: depth }, (_, i) => units[i] ?? units[units.length - 1] ?? 128);
  const interfaces = Array.from({ length: depth }, (_, i) => {
    const name = names[i] ?? names[names.length - 1] ?? "backprop";
    return (INTERFACES as readonly string[]).includes(name) ? name as InterfaceName : "backprop";
  });
  const lr = Number(q.get("lr"));
  return {
    hidden,
    interfaces,
    batch: int(q.get("batch"), 64, 1, 1024),
    learningRate: q.get("lr") !== null && lr > 0 && lr < 1 ? lr : 0.001,
    steps: int(q.get("steps"), 500, 1, 1_000_000),
    train: int(q.get("train"), 4000, 64, 60000),
    test: int(q.get("test"), 1000, 1, 10000),
    seed: int(q.get("seed"), 1, 0, 2 ** 31),
    every: int(q.get("every"), 25, 1, 1_000_000),
    autostart: q.get("autostart") === "1",
  };
}

/** The link to `config` on the page at `base` (autostart left out: a shared link waits for its Train button). */
export function configUrl(config: Config, base: string): string {
  const url = new URL(base);
  url.search = new URLSearchParams({
    iface: config.interfaces.join(","),
    hidden: config.hidden.join(","),
    batch: String(config.batch),
    lr: String(config.learningRate),
    steps: String(config.steps),
    train: String(config.train),
    test: String(config.test),
    seed: String(config.seed),
    every: String(config.every),
  }).toString();
  return url.href;
}
