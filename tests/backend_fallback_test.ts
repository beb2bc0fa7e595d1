// Without read permission the wasm backend cannot load its .wasm file and TF.js falls back to the cpu backend: dni
// says so, once, on stderr, naming the backend, the reason and the permission that fixes it.
import assert from "node:assert/strict";
import { fallbackWarning } from "../backend.ts";

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
