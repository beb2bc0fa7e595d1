// mod.ts must work when imported by URL from a folder that has no deno.json (no import map of ours is read).
import assert from "node:assert/strict";
import { runDeno, serveRepository } from "./_serve.ts";

Deno.test("mod.ts imported by URL from a folder without deno.json trains on the shipped MNIST", async () => {
  const { host, close } = serveRepository();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/script.ts`,
      `import { buildNetwork, loadDataset, train } from "http://${host}/mod.ts";
const data = await loadDataset("mnist", { trainCount: 1000, testCount: 200 });
const net = buildNetwork({ input: [784], layers: [{ type: "dense", units: 32, activation: "relu", interface: "csg" }, { type: "dense", units: 10 }] });
const h = await train(net, data, { epochs: 1, batchSize: 50 });
console.log(JSON.stringify({ accuracy: h.epochs[0].testAccuracy, spec: net.getSpec().layers[0].interface.type }));
`,
    );
    const { code, stdout, stderr } = await runDeno(
      ["run", "--no-config", "--no-lock", `--allow-import=${host}`, `--allow-net=${host}`, "--allow-env", "script.ts"],
      dir,
    );
    const out = stdout.trim().split("\n").pop()!;
    assert.equal(code, 0, stderr.slice(-2000));
    const result = JSON.parse(out);
    assert.equal(result.spec, "csg");
    assert.ok(result.accuracy >= 0 && result.accuracy <= 1);
  } finally {
    await close();
    await Deno.remove(dir, { recursive: true });
  }
});
