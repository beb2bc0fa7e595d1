// `deno task bench`: the benchmarks of bench/ (deno bench bench/, any arguments passed on), or, with --spec FILE,
// the bench of that spec (bench/spec.ts): deno task bench --spec examples/bench_mlp.json --interfaces backprop,csg.
const PERMISSIONS = ["--allow-read", "--allow-env", "--allow-ffi", "--allow-run=cat"]; // cat: /proc/cpuinfo, for OpenBLAS's kernels (native/_core_type.ts)
const here = (path: string) => new URL(path, import.meta.url).pathname;

const spec = Deno.args.some((a) => /^--(spec|interfaces|backends|batch-size|threads)(=|$)/.test(a));
const args = spec
  ? ["bench", ...PERMISSIONS, here("./spec.ts"), "--", ...Deno.args]
  : ["bench", ...PERMISSIONS, here("./"), ...Deno.args];
const { code } = await new Deno.Command(Deno.execPath(), {
  args,
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
})
  .spawn().status;
Deno.exit(code);
