// Private: which kernels OpenBLAS runs. A DYNAMIC_ARCH OpenBLAS picks its kernels for the CPU it recognises when it
// loads; one that does not know the CPU falls back to generic ones. Debian 12's OpenBLAS 0.3.21 does not know the
// Xeons of this project's machines (AVX-512) and runs its Prescott (SSE3) kernels: measured, the MNIST FCN-3 step's
// sgemm calls at 14.7 GFLOP/s on one thread, against 49.8 with Haswell's and 65.1 with SkylakeX's (bench in the note
// of issue 26). So before the library is loaded, where `OPENBLAS_CORETYPE` is not set, it is set from the CPU's
// flags: SkylakeX with AVX-512 (F, BW, VL, DQ), Haswell with AVX2 and FMA; else left alone. Child processes (stage
// processes, a PyTorch peer) inherit it, so a peer on the same OpenBLAS runs the same kernels.

/** The environment variable OpenBLAS reads at load time to force its kernels. */
export const CORE_TYPE_VARIABLE = "OPENBLAS_CORETYPE";

/** The core type for CPU flags `flags` (from /proc/cpuinfo), or undefined to leave OpenBLAS's own choice. */
export function coreTypeFor(flags: ReadonlySet<string>): string | undefined {
  if (["avx512f", "avx512bw", "avx512vl", "avx512dq"].every((f) => flags.has(f))) return "SkylakeX";
  if (flags.has("avx2") && flags.has("fma")) return "Haswell";
  return undefined;
}

/**
 * Sets `OPENBLAS_CORETYPE` from the CPU's flags when it is not set (Linux; needs env access and a way to read
 * /proc/cpuinfo: Deno grants that file only to --allow-all, so it is read with `cat` where running it is granted;
 * else nothing is done). Returns what it set, or undefined.
 */
export function chooseCoreType(): string | undefined {
  if (Deno.build.os !== "linux") return undefined;
  try {
    if (Deno.permissions.querySync({ name: "env", variable: CORE_TYPE_VARIABLE }).state !== "granted") return undefined;
    if (Deno.env.get(CORE_TYPE_VARIABLE) !== undefined) return undefined;
    const line = cpuinfo()?.split("\n").find((l) => l.startsWith("flags"));
    const chosen = coreTypeFor(new Set(line?.split(":")[1]?.trim().split(/\s+/) ?? []));
    if (chosen !== undefined) Deno.env.set(CORE_TYPE_VARIABLE, chosen);
    return chosen;
  } catch {
    return undefined;
  }
}

// The text of /proc/cpuinfo, or undefined where it cannot be read without asking.
function cpuinfo(): string | undefined {
  const granted = (d: Deno.PermissionDescriptor) => Deno.permissions.querySync(d).state === "granted";
  if (granted({ name: "read", path: "/proc/cpuinfo" })) {
    try {
      return Deno.readTextFileSync("/proc/cpuinfo");
    } catch { /* Deno grants /proc only to --allow-all */ }
  }
  if (!granted({ name: "run", command: "cat" })) return undefined;
  const out = new Deno.Command("cat", { args: ["/proc/cpuinfo"], stdout: "piped", stderr: "null" }).outputSync();
  return out.success ? new TextDecoder().decode(out.stdout) : undefined;
}
