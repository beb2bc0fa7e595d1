// Without read permission the wasm backend cannot load its .wasm file and TF.js falls back to the cpu backend: dni
// says so, once, on stderr, naming the backend, the reason and the permission that fixes it.
import assert from "node:assert/strict";
import { defaultBackend, fallbackWarning } from "../backend.ts";
import { nativeBlas } from "../native/backend.ts";
import { requires } from "./_requires.ts";

Deno.test("fallbackWarning() names the backend that runs, why, and the permission that fixes it", () => {
  assert.equal(fallbackWarning("wasm", false), undefined);
  const noRead = fallbackWarning("cpu", false)!;
  assert.match(noRead, /runs on the "cpu" backend/);
  assert.match(noRead, /read permission was not granted/);
  assert.match(noRead, /--allow-read/);
  assert.match(fallbackWarning("cpu", true)!, /the wasm backend failed to start/);
});

Deno.test("importing dni without --allow-read warns once on stderr that the cpu backend runs", async () => {
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      script,
      `import { backendInfo } from ${JSON.stringify(new URL("../backend.ts", import.meta.url).href)};\n` +
        `import ${JSON.stringify(new URL("../backend.ts", import.meta.url).href)};\n` +
        `console.log(backendInfo().backend);\n`,
    );
    const config = new URL("../deno.json", import.meta.url).pathname;
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--config", config, "--allow-env", script],
      env: { DNI_BACKEND: "" }, // the default backend, whatever pass of the suite runs this
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(stdout), err = new TextDecoder().decode(stderr);
    assert.equal(code, 0, err);
    assert.equal(out.trim(), "cpu");
    const warnings = err.split("\n").filter((line) => line.startsWith("dni: "));
    assert.equal(warnings.length, 1, err);
    assert.match(warnings[0]!, /runs on the "cpu" backend .* read permission was not granted\. Run with --allow-read/);
  } finally {
    await Deno.remove(script);
  }
});

// Which backend starts, and the line that says why: native when a BLAS loads and --allow-ffi is granted, else wasm
// with the reason; DNI_BACKEND overrides.
async function startedLine(permissions: string[], env: Record<string, string> = { DNI_BACKEND: "" }): Promise<string> {
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    const backend = JSON.stringify(new URL("../backend.ts", import.meta.url).href);
    await Deno.writeTextFile(script, `import { backendLine } from ${backend};\nconsole.log(backendLine());\n`);
    const config = new URL("../deno.json", import.meta.url).pathname;
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--config", config, ...permissions, script],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    return new TextDecoder().decode(stdout).trim();
  } finally {
    await Deno.remove(script);
  }
}

Deno.test("without --allow-ffi dni starts on wasm and says why; DNI_BACKEND picks the backend", async () => {
  assert.equal(
    await startedLine(["--allow-read", "--allow-env"]),
    "dni: backend wasm (native backend unavailable: --allow-ffi was not granted)",
  );
  assert.equal(
    await startedLine(["--allow-read", "--allow-env", "--allow-ffi"], { DNI_BACKEND: "wasm" }),
    "dni: backend wasm (DNI_BACKEND=wasm)",
  );
});

const blas = nativeBlas();
const needsBlas = requires(
  "tests/backend_fallback_test.ts",
  "the native backend test",
  "reason" in blas ? blas.reason : undefined,
);
Deno.test({
  name: "with a BLAS library and --allow-ffi dni starts on native and names the library",
  ignore: needsBlas.ignore,
  fn: async () => {
    needsBlas.check();
    const line = await startedLine(["--allow-read", "--allow-env", "--allow-ffi"]);
    assert.match(line, /^dni: backend native \(BLAS: .+\)$/);
    assert.equal(defaultBackend(), "native");
  },
});
