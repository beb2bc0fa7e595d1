/**
 * Finding and loading a BLAS library through Deno's FFI: OpenBLAS on Linux, Accelerate on macOS, or the library
 * that `DNI_BLAS` names. Only `cblas_sgemm` and `cblas_sgemv` are required; the thread controls of OpenBLAS and
 * MKL are used when the library has them.
 *
 * @module
 */
import { chooseCoreType, CORE_TYPE_VARIABLE } from "./_core_type.ts";

/** The C enums of CBLAS that `dni` passes. */
export const CBLAS = { rowMajor: 101, noTrans: 111, trans: 112 } as const;

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "buffer",
      "i32",
      "buffer",
      "i32",
      "f32",
      "buffer",
      "i32",
    ],
    result: "void",
  },
  cblas_sgemv: {
    parameters: ["i32", "i32", "i32", "i32", "f32", "buffer", "i32", "buffer", "i32", "f32", "buffer", "i32"],
    result: "void",
  },
  openblas_set_num_threads: { parameters: ["i32"], result: "void", optional: true },
  openblas_get_num_threads: { parameters: [], result: "i32", optional: true },
  openblas_get_config: { parameters: [], result: "pointer", optional: true },
  MKL_Set_Num_Threads: { parameters: ["i32"], result: "void", optional: true },
  MKL_Get_Max_Threads: { parameters: [], result: "i32", optional: true },
} as const satisfies Deno.ForeignLibraryInterface;

/** A loaded BLAS library: single-precision GEMM and GEMV, and its thread count where the library lets us set it. */
export interface Blas {
  /** The file that was loaded (as given to `dlopen`). */
  readonly path: string;
  /** What the library says it is, e.g. `OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64`. */
  readonly description: string;
  /** `C = alpha op(A) op(B) + beta C`, row-major; `A`, `B`, `C` are views of float32 memory. */
  sgemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    lda: number,
    b: Float32Array,
    ldb: number,
    beta: number,
    c: Float32Array,
    ldc: number,
  ): void;
  /** `y = alpha op(A) x + beta y`, row-major, unit strides. */
  sgemv(
    transA: boolean,
    m: number,
    n: number,
    alpha: number,
    a: Float32Array,
    lda: number,
    x: Float32Array,
    beta: number,
    y: Float32Array,
  ): void;
  /** Sets the number of threads the library uses (process-wide); false when the library has no such control. */
  setThreads(n: number): boolean;
  /** The number of threads the library uses, or `undefined` when it does not say. */
  threads(): number | undefined;
  /** Closes the library. */
  close(): void;
}

/** Why no BLAS library could be loaded: one line for users. */
export interface BlasUnavailable {
  /** What was tried and what failed, e.g. `--allow-ffi was not granted`. */
  readonly reason: string;
}

/**
 * The library names tried, in order, when `DNI_BLAS` is not set: OpenBLAS (Debian/Ubuntu package `libopenblas0`,
 * Fedora `openblas`, Homebrew `openblas`), Accelerate on macOS, the system's `libblas.so.3` (the reference BLAS or
 * whichever the distribution's alternatives select), and `libopenblas.dll` on Windows.
 *
 * @param os The operating system, as `Deno.build.os` names it.
 */
export function blasCandidates(os: string = Deno.build.os): string[] {
  switch (os) {
    case "darwin":
      return [
        "/System/Library/Frameworks/Accelerate.framework/Accelerate",
        "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
        "/usr/local/opt/openblas/lib/libopenblas.dylib",
      ];
    case "windows":
      return ["libopenblas.dll", "openblas.dll"];
    default:
      return ["libopenblas.so.0", "libopenblas.so", "libblas.so.3"];
  }
}

function ffiGranted(): boolean {
  try {
    return Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  } catch {
    return false;
  }
}

function envBlas(): string | undefined {
  try {
    return Deno.env.get("DNI_BLAS") || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Loads the first BLAS library that opens and has `cblas_sgemm` and `cblas_sgemv`.
 *
 * @param candidates The names or paths to try; by default `DNI_BLAS` when set (and then only it), else
 *   {@linkcode blasCandidates}.
 * @returns The library, or why none could be loaded.
 */
export function loadBlas(candidates?: readonly string[]): Blas | BlasUnavailable {
  if (!ffiGranted()) return { reason: "--allow-ffi was not granted" };
  const fromEnv = candidates === undefined ? envBlas() : undefined;
  const tried = candidates ?? (fromEnv !== undefined ? [fromEnv] : blasCandidates());
  // Before the library loads: OpenBLAS picks its kernels then (see _core_type.ts).
  const coreType = chooseCoreType();
  const failures: string[] = [];
  for (const path of tried) {
    let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
    try {
      lib = Deno.dlopen(path, SYMBOLS);
    } catch (error) {
      failures.push(`${path}: ${firstLine(error).replace(/^(Could not open library: )+/, "")}`);
      continue;
    }
    return wrap(lib, path, coreType);
  }
  const where = fromEnv !== undefined ? `DNI_BLAS=${fromEnv}` : tried.join(", ");
  return { reason: `no BLAS library with cblas_sgemm could be loaded (tried ${where}): ${failures.join("; ")}` };
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split("\n")[0]!;
}

function wrap(lib: Deno.DynamicLibrary<typeof SYMBOLS>, path: string, coreType: string | undefined): Blas {
  const s = lib.symbols;
  const { rowMajor, noTrans, trans } = CBLAS;
  let description = path;
  if (s.openblas_get_config !== null) {
    const config = s.openblas_get_config();
    if (config !== null) description = new Deno.UnsafePointerView(config).getCString();
    // Say where its kernels came from when dni chose them (a user's own OPENBLAS_CORETYPE is theirs to know).
    if (coreType !== undefined) description += ` (${CORE_TYPE_VARIABLE}=${coreType}, set by dni from the CPU's flags)`;
  } else if (s.MKL_Set_Num_Threads !== null) description = `MKL (${path})`;
  else if (path.includes("Accelerate")) description = "Accelerate";
  return {
    path,
    description,
    sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
      s.cblas_sgemm(
        rowMajor,
        transA ? trans : noTrans,
        transB ? trans : noTrans,
        m,
        n,
        k,
        alpha,
        a,
        lda,
        b,
        ldb,
        beta,
        c,
        ldc,
      );
    },
    sgemv(transA, m, n, alpha, a, lda, x, beta, y) {
      s.cblas_sgemv(rowMajor, transA ? trans : noTrans, m, n, alpha, a, lda, x, 1, beta, y, 1);
    },
    setThreads(n) {
      if (s.openblas_set_num_threads !== null) s.openblas_set_num_threads(n);
      else if (s.MKL_Set_Num_Threads !== null) s.MKL_Set_Num_Threads(n);
      else return false;
      return true;
    },
    threads() {
      if (s.openblas_get_num_threads !== null) return s.openblas_get_num_threads();
      if (s.MKL_Get_Max_Threads !== null) return s.MKL_Get_Max_Threads();
      return undefined;
    },
    close: () => lib.close(),
  };
}
