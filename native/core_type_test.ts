import assert from "node:assert/strict";
import { CORE_TYPE_VARIABLE, coreTypeFor } from "./_core_type.ts";
import { nativeBlas } from "./backend.ts";
import { requires } from "../tests/_requires.ts";

const blas = nativeBlas();
const needsBlas = requires(
  "native/core_type_test.ts",
  "the loaded OpenBLAS's kernels",
  "reason" in blas ? blas.reason : undefined,
);

Deno.test("OpenBLAS's kernels are chosen from the CPU's flags: SkylakeX with AVX-512, Haswell with AVX2 and FMA", () => {
  const flags = (line: string) => new Set(line.split(" "));
  assert.equal(coreTypeFor(flags("sse3 avx avx2 fma avx512f avx512bw avx512vl avx512dq")), "SkylakeX");
  assert.equal(coreTypeFor(flags("sse3 avx avx2 fma avx512f")), "Haswell", "AVX-512 F alone is not enough");
  assert.equal(coreTypeFor(flags("sse3 avx avx2 fma")), "Haswell");
  assert.equal(coreTypeFor(flags("sse3 avx avx2")), undefined, "no FMA: OpenBLAS's own choice");
  assert.equal(coreTypeFor(flags("")), undefined);
});

Deno.test({
  name: "a loaded OpenBLAS says which kernels it runs, and whether dni chose them",
  ignore: needsBlas.ignore,
  fn: () => {
    needsBlas.check();
    if ("reason" in blas || !blas.description.startsWith("OpenBLAS")) return;
    const set = Deno.env.get(CORE_TYPE_VARIABLE);
    assert.ok(set !== undefined || Deno.build.os !== "linux" || !/avx2/.test(Deno.readTextFileSync("/proc/cpuinfo")));
    if (set !== undefined && /set by dni/.test(blas.description)) {
      assert.match(
        blas.description,
        new RegExp(` ${set} MAX_THREADS=\\d+ \\(${CORE_TYPE_VARIABLE}=${set}, set by dni`),
      );
    }
  },
});
