// The plugin path from outside the package, as the README tells a new user to follow it: a folder of their own with
// no deno.json, the library and its conformance suite imported by URL, a plugin file, a test file that runs the
// suite with one call and trains a network whose spec names the plugin.
import assert from "node:assert/strict";
import { runDeno, serveRepository } from "./_serve.ts";

// The user's test file: the suite on the plugin, the suite on a broken copy, and training with the plugin.
const testFile = (host: string) =>
  `import assert from "node:assert/strict";
import { checkInterface, testInterface } from "http://${host}/testing/conformance.ts";
import { buildNetwork, createRegistries, evaluate, type InterfaceFactory, syntheticDataset, train } from "http://${host}/mod.ts";
import { createDrtp } from "./drtp.ts";

testInterface("drtp", createDrtp);

Deno.test("the suite says what a broken copy of the plugin breaks", () => {
  const renamed: InterfaceFactory = (config, context) =>
    Object.assign(createDrtp(config, context), { getConfig: () => ({ type: "DRTP" }) });
  const report = checkInterface("drtp", renamed);
  assert.deepEqual(report.parts.filter((p) => !p.ok).map((p) => p.part), ["config"]);
  assert.match(report.parts.find((p) => p.part === "config")!.problem!, /^config: getConfig\\(\\)\\.type is "DRTP"; expected "drtp"/);
});

Deno.test("a network whose spec names the plugin trains", async () => {
  const registries = createRegistries();
  registries.interfaces.register("drtp", createDrtp);
  const data = syntheticDataset({ features: 16, classes: 4, trainCount: 400, testCount: 200, seed: 1 });
  const net = buildNetwork({
    input: [16],
    layers: [{ type: "dense", units: 32, activation: "tanh", interface: "drtp" }, { type: "dense", units: 4 }],
    optimizer: { type: "adam", learningRate: 0.01 },
  }, { registries });
  const before = evaluate(net, data.test).accuracy;
  await train(net, data, { epochs: 3, batchSize: 32, seed: 1 });
  const after = evaluate(net, data.test).accuracy;
  assert.deepEqual(net.getSpec().layers[0]!.interface, { type: "drtp", scale: 1 });
  console.log("ACCURACY " + JSON.stringify({ before, after }));
  assert.ok(after > 0.7 && after > before + 0.2, \`test accuracy \${before} -> \${after}\`);
  net.dispose();
});
`;

Deno.test("a plugin in a folder of its own passes the conformance suite imported by URL, and trains", async () => {
  const { host, close } = serveRepository();
  const dir = await Deno.makeTempDir();
  try {
    const example = await Deno.readTextFile(new URL("../examples/plugins/drtp.ts", import.meta.url));
    const plugin = example.replaceAll('"../../mod.ts"', `"http://${host}/mod.ts"`);
    assert.ok(plugin !== example && !plugin.includes("../"), "the plugin imports the library only by URL");
    await Deno.writeTextFile(`${dir}/drtp.ts`, plugin);
    await Deno.writeTextFile(`${dir}/drtp_test.ts`, testFile(host));
    const { code, stdout, stderr } = await runDeno(
      // The plugin guide's command: --allow-read lets TF.js read its .wasm file (without it, it falls back to cpu).
      ["test", "--no-config", "--no-lock", `--allow-import=${host}`, "--allow-read", "--allow-env"],
      dir,
    );
    assert.equal(code, 0, `${stdout.slice(-3000)}\n${stderr.slice(-2000)}`);
    assert.match(stdout, /^interface "drtp" conforms to the neural-interface contract \.\.\.$/m);
    assert.doesNotMatch(stderr, /runs on the "cpu" backend/, "the suite runs on wasm");
    for (const part of ["shapes", "decoupling", "config", "disposal", "state", "labels", "evaluation", "training"]) {
      assert.match(stdout, new RegExp(`^  ${part}(: [^\\n]*)? \\.\\.\\. ok`, "m"), `step ${part} ran and passed`);
    }
    assert.match(stdout, /^ok \| 3 passed \(8 steps\) \| 0 failed/m);
    const { after } = JSON.parse(stdout.match(/^ACCURACY (.*)$/m)![1]!);
    assert.ok(after > 0.7, `the plugin trained to ${after}`);
  } finally {
    await close();
    await Deno.remove(dir, { recursive: true });
  }
});
