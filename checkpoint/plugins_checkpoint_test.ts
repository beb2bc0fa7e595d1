// A checkpoint of a network built with a plugin module records the module (URL and SHA-256 of its source) as data:
// loading never imports it, names it when the spec needs it and it is not loaded, and refuses it when its source
// changed since the save, unless allowPluginChange.
import assert from "node:assert/strict";
import { CheckpointError } from "../errors.ts";
import { buildNetwork } from "../network/build.ts";
import { loadPlugin, pluginSha256 } from "../network/plugins.ts";
import { createRegistries, type Registries } from "../network/registries.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { tempDir } from "../tests/_checkpoint_helpers.ts";
import { parseManifest } from "./format.ts";
import { loadCheckpoint } from "./load.ts";
import { saveCheckpoint } from "./save.ts";

const spec: NetworkSpec = {
  input: [4],
  layers: [{ type: "dense", units: 8, interface: "drtp" }, { type: "dense", units: 2 }],
};

/** The drtp example plugin, written to a folder of its own (importing dni by its file URL). */
async function pluginFile(): Promise<string> {
  const source = await Deno.readTextFile(new URL("../examples/plugins/drtp.ts", import.meta.url));
  const path = `${await tempDir()}/drtp.ts`;
  await Deno.writeTextFile(path, source.replaceAll('"../../mod.ts"', `"${new URL("../mod.ts", import.meta.url)}"`));
  return path;
}

/** Registries with the plugin `path` loaded, and its URL. */
async function withPlugin(path: string): Promise<{ registries: Registries; url: string }> {
  const registries = createRegistries();
  return { registries, url: await loadPlugin(path, registries) };
}

/** A network of `spec` built with the plugin `path`, saved; the checkpoint's directory and the plugin's URL. */
async function savedWithPlugin(path: string): Promise<{ dir: string; url: string }> {
  const { registries, url } = await withPlugin(path);
  const net = buildNetwork(spec, { registries });
  const dir = `${await tempDir()}/ckpt`;
  await saveCheckpoint(net, dir);
  net.dispose();
  return { dir, url };
}

const manifestOf = async (dir: string) => JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));

Deno.test("saveCheckpoint() records each plugin module of the network: its URL and the SHA-256 of its source", async () => {
  const path = await pluginFile();
  const { dir, url } = await savedWithPlugin(path);
  assert.equal(url, `file://${path}`);
  assert.deepEqual((await manifestOf(dir)).plugins, [{ url, sha256: await pluginSha256(url) }]);
  // A network without plugins records none: its manifest has no plugins field.
  const plain = buildNetwork({ input: [4], layers: [{ type: "dense", units: 2 }] });
  const other = `${await tempDir()}/plain`;
  await saveCheckpoint(plain, other);
  plain.dispose();
  assert.equal("plugins" in await manifestOf(other), false);
});

Deno.test("loadCheckpoint() without the recorded plugin names the module and --plugin; with it, it loads and re-saves it", async () => {
  const path = await pluginFile();
  const { dir, url } = await savedWithPlugin(path);
  await assert.rejects(
    loadCheckpoint(dir, { registries: createRegistries() }),
    (e: Error) => {
      assert.ok(e instanceof CheckpointError);
      assert.equal(
        e.message,
        `Checkpoint ${dir}/spec.json: cannot be built: Invalid spec: layers[0].interface is not a known interface (known: ` +
          `backprop, sg, csg, local-loss), got "drtp"; the checkpoint was saved with the plugin module ${url}, not ` +
          `loaded here: pass --plugin ${url} (from code: loadPlugins(["${url}"], registries) and give those ` +
          `registries to loadCheckpoint)`,
      );
      return true;
    },
  );
  const { registries } = await withPlugin(path);
  const net = await loadCheckpoint(dir, { registries });
  assert.deepEqual(net.plugins, [url], "the loaded network knows its plugin module");
  const again = `${await tempDir()}/again`;
  await saveCheckpoint(net, again);
  net.dispose();
  assert.deepEqual((await manifestOf(again)).plugins, (await manifestOf(dir)).plugins);
});

Deno.test("loadCheckpoint() refuses a plugin whose source changed since the save, unless allowPluginChange", async () => {
  const path = await pluginFile();
  const { dir, url } = await savedWithPlugin(path);
  const before = await pluginSha256(url);
  await Deno.writeTextFile(path, (await Deno.readTextFile(path)) + "\n// edited after the save\n");
  const after = await pluginSha256(url);
  const { registries } = await withPlugin(path);
  const change = `was saved with the plugin module ${url} of SHA-256 ${before.slice(0, 12)}…, and the one loaded ` +
    `now has SHA-256 ${after.slice(0, 12)}…: its source changed since the save`;
  await assert.rejects(
    loadCheckpoint(dir, { registries }),
    (e: Error) => {
      assert.ok(e instanceof CheckpointError);
      assert.equal(
        e.message,
        `Checkpoint ${dir}/manifest.json: ${change}; pass --allow-plugin-change (from code: allowPluginChange: ` +
          `true) to run it anyway`,
      );
      return true;
    },
  );
  const warnings: string[] = [];
  const net = await loadCheckpoint(dir, { registries, allowPluginChange: true, onWarning: (m) => warnings.push(m) });
  assert.deepEqual(warnings, [`warning: checkpoint ${dir} ${change}; running it anyway (--allow-plugin-change)`]);
  assert.equal(net.interfaces[0]!.type, "drtp");
  net.dispose();
});

Deno.test("loadCheckpoint() takes the recorded plugin's source from another URL (the same SHA-256)", async () => {
  const path = await pluginFile();
  const { dir } = await savedWithPlugin(path);
  const moved = `${await tempDir()}/drtp.ts`;
  await Deno.copyFile(path, moved);
  await Deno.remove(path);
  const { registries } = await withPlugin(moved);
  const net = await loadCheckpoint(dir, { registries });
  assert.equal(net.interfaces[0]!.type, "drtp");
  net.dispose();
});

Deno.test("saveCheckpoint() refuses, writing nothing, when a plugin module's source cannot be read", async () => {
  const path = await pluginFile();
  const { registries, url } = await withPlugin(path);
  const net = buildNetwork(spec, { registries });
  await Deno.remove(path);
  const dir = `${await tempDir()}/ckpt`;
  await assert.rejects(saveCheckpoint(net, dir), (e: Error) => {
    assert.ok(e instanceof CheckpointError);
    assert.equal(
      e.message,
      `Checkpoint ${dir}: cannot record the plugin module ${url}, which the network was built with: ${url} does ` +
        "not exist",
    );
    return true;
  });
  net.dispose();
  await assert.rejects(Deno.stat(dir), Deno.errors.NotFound);
});

Deno.test("parseManifest() checks the plugins field: an array of { url, sha256 }, absolute URLs, each once", async () => {
  const path = await pluginFile();
  const { dir } = await savedWithPlugin(path);
  const manifest = await manifestOf(dir);
  const refused = (plugins: unknown, pattern: RegExp) =>
    assert.throws(
      () => parseManifest(JSON.stringify({ ...manifest, plugins }), "ckpt/manifest.json"),
      (e: Error) => e instanceof CheckpointError && pattern.test(e.message),
    );
  const entry = manifest.plugins[0];
  refused({}, /^Checkpoint ckpt\/manifest\.json: plugins must be an array of \{ url, sha256 \}, got \{\}$/);
  refused([{ ...entry, url: "./drtp.ts" }], /plugins\[0\]\.url must be an absolute URL .*, got "\.\/drtp\.ts"$/);
  refused([entry, entry], /plugins\[1\]\.url appears twice, got "file:/);
  refused([{ ...entry, sha256: "abc" }], /plugins\[0\]\.sha256 must be a SHA-256 \(hex\), got "abc"$/);
  refused(["x"], /plugins\[0\] must be an object, got "x"$/);
  assert.deepEqual(parseManifest(JSON.stringify(manifest), "m").plugins, manifest.plugins);
});
