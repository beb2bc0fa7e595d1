// The CLI with a checkpoint of a plugin network: evaluate --load without --plugin names the recorded module and the
// flag; with the module edited since the save it refuses in one line naming both hashes, and runs with
// --allow-plugin-change and a one-line warning; train --load alike.
import assert from "node:assert/strict";
import { main } from "../cli.ts";

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "", err = "";
  const code = await main(args, { out: (s) => out += s, err: (s) => err += s, live: false });
  return { code, out, err };
}

Deno.test("cli evaluate --load of a plugin's checkpoint: names the module to load, refuses it edited, unless --allow-plugin-change", async () => {
  const root = await Deno.makeTempDir();
  try {
    const source = await Deno.readTextFile(new URL("../examples/plugins/drtp.ts", import.meta.url));
    const plugin = `${root}/drtp.ts`;
    await Deno.writeTextFile(plugin, source.replaceAll('"../../mod.ts"', `"${new URL("../mod.ts", import.meta.url)}"`));
    const spec = `${root}/spec.json`;
    await Deno.writeTextFile(
      spec,
      JSON.stringify({
        input: [784],
        layers: [{ type: "dense", units: 16, interface: "drtp" }, { type: "dense", units: 10 }],
      }),
    );
    const small = ["--test-count", "100"];
    const trained = await run([
      ...["train", "--spec", spec, "--epochs", "1", "--train-count", "256", ...small],
      ...["--plugin", plugin, "--save", `${root}/ck`],
    ]);
    assert.equal(trained.code, 0, trained.err);
    const url = `file://${plugin}`;

    const without = await run(["evaluate", "--load", `${root}/ck`, ...small]);
    assert.equal(without.code, 1);
    assert.ok(
      without.err.startsWith(`error: Checkpoint ${root}/ck/spec.json: cannot be built: `) &&
        without.err.includes(
          `got "drtp"; the checkpoint was saved with the plugin module ${url}, not loaded here: pass --plugin ${url} `,
        ) && without.err.split("\n").length === 2,
      without.err,
    );

    await Deno.writeTextFile(plugin, (await Deno.readTextFile(plugin)) + "\n// edited after the save\n");
    const changed = await run(["evaluate", "--load", `${root}/ck`, ...small, "--plugin", plugin]);
    assert.equal(changed.code, 1);
    assert.match(
      changed.err,
      new RegExp(
        `^error: Checkpoint ${root}/ck/manifest\\.json: was saved with the plugin module ${url} of SHA-256 ` +
          `[0-9a-f]{12}…, and the one loaded now has SHA-256 [0-9a-f]{12}…: its source changed since the save; ` +
          `pass --allow-plugin-change \\(from code: allowPluginChange: true\\) to run it anyway\\n$`,
      ),
    );

    const allowed = await run([
      ...["evaluate", "--load", `${root}/ck`, ...small, "--plugin", plugin, "--allow-plugin-change", "--json"],
    ]);
    assert.equal(allowed.code, 0, allowed.err);
    assert.match(
      allowed.err,
      new RegExp(
        `^warning: checkpoint ${root}/ck was saved with the plugin module ${url} of SHA-256 [0-9a-f]{12}…, and the ` +
          `one loaded now has SHA-256 [0-9a-f]{12}…: its source changed since the save; running it anyway ` +
          `\\(--allow-plugin-change\\)$`,
        "m",
      ),
    );
    assert.equal(JSON.parse(allowed.out.trim().split("\n").pop()!).dataset.test, 100);

    // train --load: the same refusal, and the same flag.
    const more = [
      "train",
      "--load",
      `${root}/ck`,
      "--epochs",
      "1",
      "--train-count",
      "256",
      ...small,
      "--plugin",
      plugin,
    ];
    const refused = await run(more);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /its source changed since the save; pass --allow-plugin-change/);
    const trainedOn = await run([...more, "--allow-plugin-change"]);
    assert.equal(trainedOn.code, 0, trainedOn.err);
    assert.match(trainedOn.err + trainedOn.out, /^warning: checkpoint \S+ was saved with the plugin module /m);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
