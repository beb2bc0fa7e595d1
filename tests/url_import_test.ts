// mod.ts must work when imported by URL from a folder that has no deno.json (no import map of ours is read).
import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);

Deno.test("mod.ts imported by URL from a folder without deno.json trains on the shipped MNIST", async () => {
  const controller = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: controller.signal, onListen() {} },
    async (req) => {
      try {
        const body = await Deno.readFile(new URL("." + new URL(req.url).pathname, root));
        const type = req.url.endsWith(".ts") ? "application/typescript" : "application/octet-stream";
        return new Response(body, { headers: { "content-type": type } });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  const host = `127.0.0.1:${server.addr.port}`;
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/script.ts`,
      `import { buildNetwork, loadDataset, train } from "http://${host}/mod.ts";
const data = await loadDataset("mnist", { trainCount: 1000, testCount: 200 });
const net = buildNetwork({ input: [784], layers: [{ type: "dense", units: 32, activation: "relu", interface: "csg" }, { type: "dense", units: 10 }] });
const h = train(net, data, { epochs: 1, batchSize: 50 });
console.log(JSON.stringify({ accuracy: h.epochs[0].testAccuracy, spec: net.getSpec().layers[0].interface.type }));
`,
    );
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--no-lock",
        `--allow-import=${host}`,
        `--allow-net=${host}`,
        "--allow-env",
        "script.ts",
      ],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(stdout).trim().split("\n").pop()!;
    assert.equal(code, 0, new TextDecoder().decode(stderr).slice(-2000));
    const result = JSON.parse(out);
    assert.equal(result.spec, "csg");
    assert.ok(result.accuracy >= 0 && result.accuracy <= 1);
  } finally {
    controller.abort();
    await server.finished;
    await Deno.remove(dir, { recursive: true });
  }
});
