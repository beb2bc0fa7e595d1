// The bench of one spec file, on the command line: what `deno task bench --spec FILE` runs (through bench/task.ts),
// or by hand: deno bench --allow-read --allow-env --allow-ffi bench/spec.ts -- --spec FILE [--interfaces a,b]
// [--backends native,wasm] [--batch-size N] [--threads N] (BLAS threads). See docs/bench.md.
import { parseArgs } from "node:util";
import { benchSpec, setBlasThreads } from "../mod.ts";

const USAGE = "Usage: deno task bench --spec FILE [--interfaces backprop,sg,csg] [--backends native,wasm] " +
  "[--batch-size N] [--threads N]";

function refuse(message: string): never {
  console.error(`bench: ${message}\n${USAGE}`);
  Deno.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    args: Deno.args,
    options: {
      spec: { type: "string" },
      interfaces: { type: "string" },
      backends: { type: "string" },
      "batch-size": { type: "string" },
      threads: { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (error) {
  refuse(error instanceof Error ? error.message : String(error));
}
if (values.spec === undefined) refuse("--spec FILE is required");
const list = (s: string | undefined) => s === undefined ? undefined : s.split(",").map((x) => x.trim());
const batch = values["batch-size"];
if (batch !== undefined && !/^\d+$/.test(batch)) refuse(`--batch-size must be a whole number, got "${batch}"`);
const threads = values.threads;
if (threads !== undefined && !/^[1-9]\d*$/.test(threads)) {
  refuse(`--threads must be a whole number >= 1, got "${threads}"`);
}
if (threads !== undefined && !setBlasThreads(Number(threads))) {
  console.warn(`bench: --threads ${threads}: no BLAS library whose threads can be set (the native backend's)`);
}

let spec;
try {
  spec = JSON.parse(await Deno.readTextFile(values.spec));
} catch (error) {
  refuse(`cannot read the spec ${values.spec}: ${error instanceof Error ? error.message : error}`);
}
try {
  await benchSpec(spec, {
    group: values.spec,
    ...(values.interfaces === undefined ? {} : { interfaces: list(values.interfaces) }),
    ...(values.backends === undefined ? {} : { backends: list(values.backends) }),
    ...(batch === undefined ? {} : { batchSize: Number(batch) }),
  });
} catch (error) {
  refuse(`${values.spec}: ${error instanceof Error ? error.message : error}`);
}
