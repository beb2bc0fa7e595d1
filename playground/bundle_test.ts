import assert from "node:assert/strict";
import { bundlePlayground } from "./bundle.ts";

const root = decodeURIComponent(new URL("../", import.meta.url).pathname);

Deno.test({
  name: "bundlePlayground() rejects a browser graph that reaches Deno's APIs, naming the file",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dni-bundle-" });
    try {
      // train() measures memory after each epoch with Deno.memoryUsage (training/memory.ts); native/ is FFI.
      await Deno.writeTextFile(`${dir}/entry.ts`, `import "${root}training/train.ts";\n`);
      await assert.rejects(bundlePlayground(`${dir}/entry.ts`), /training\/memory\.ts needs Deno's APIs/);
      await Deno.writeTextFile(`${dir}/entry.ts`, `import "${root}native/backend.ts";\n`);
      await assert.rejects(bundlePlayground(`${dir}/entry.ts`), /native\/backend\.ts needs Deno's APIs/);
      await Deno.writeTextFile(`${dir}/entry.ts`, `import "node:fs";\n`);
      await assert.rejects(bundlePlayground(`${dir}/entry.ts`), /Deno-only import "node:fs"/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "bundlePlayground() bundles the playground without deps.ts or native/",
  sanitizeResources: false,
  async fn() {
    const { code, libraryFiles } = await bundlePlayground();
    assert.ok(libraryFiles.includes("network/network.ts") && libraryFiles.includes("playground/deps_browser.ts"));
    assert.deepEqual(libraryFiles.filter((f) => f === "deps.ts" || f.startsWith("native/")), []);
    assert.ok(code.length > 1e6, "TF.js is in the bundle");
  },
});
