import assert from "node:assert/strict";
import { sha256 } from "../datasets/files.ts";
import { tf } from "../deps.ts";
import { CheckpointError } from "../errors.ts";
import { buildNetwork } from "../network/build.ts";
import { specWith, tempDir, trained, values } from "../tests/_checkpoint_helpers.ts";
import { loadCheckpoint, loadWeights } from "./load.ts";
import { saveCheckpoint } from "./save.ts";

// A fresh checkpoint of a trained csg network in a temporary directory, and the way to corrupt it.
async function fixture() {
  const root = await tempDir();
  const dir = `${root}/ckpt`;
  const net = trained(specWith("csg"), 3);
  await saveCheckpoint(net, dir);
  net.dispose();
  const manifest = () => Deno.readTextFile(`${dir}/manifest.json`).then(JSON.parse);
  const writeManifest = (m: unknown) => Deno.writeTextFile(`${dir}/manifest.json`, JSON.stringify(m));
  return { root, dir, manifest, writeManifest };
}

async function rejects(dir: string, pattern: RegExp): Promise<void> {
  const before = tf.memory().numTensors;
  await assert.rejects(loadCheckpoint(dir), (e: Error) => {
    assert.ok(e instanceof CheckpointError, `expected a CheckpointError, got ${e}`);
    assert.match(e.message, pattern);
    assert.doesNotMatch(e.message, /\n/, "one line");
    return true;
  });
  assert.equal(tf.memory().numTensors, before, "a failed load leaks nothing");
}

Deno.test("loadCheckpoint() rejects corrupt files, naming the file and the problem", async () => {
  const { root, dir, manifest, writeManifest } = await fixture();
  const good = await Deno.readFile(`${dir}/weights.bin`);
  const m = await manifest();

  await Deno.writeFile(`${dir}/weights.bin`, good.subarray(0, good.length - 10));
  await rejects(
    dir,
    new RegExp(`weights\\.bin: has ${good.length - 10} bytes, the manifest expects ${good.length} \\(truncated`),
  );

  const flipped = good.slice();
  flipped[100]! ^= 0x01;
  await Deno.writeFile(`${dir}/weights.bin`, flipped);
  await rejects(dir, /weights\.bin: has SHA-256 [0-9a-f]{64}, the manifest expects [0-9a-f]{64} \(corrupt/);
  await Deno.writeFile(`${dir}/weights.bin`, good);

  await Deno.remove(`${dir}/weights.bin`);
  await rejects(dir, /ckpt\/weights\.bin: is missing$/);
  await Deno.writeFile(`${dir}/weights.bin`, good);

  await Deno.writeTextFile(`${dir}/manifest.json`, '{"format": "dni-checkpoint", "version": 1,');
  await rejects(dir, /manifest\.json: is not valid JSON \(/);
  await writeManifest({ ...m, version: 2 });
  await rejects(dir, /manifest\.json: has format version 2; this version of dni reads version 1$/);
  await writeManifest({ ...m, format: "keras" });
  await rejects(dir, /manifest\.json: is not a dni checkpoint manifest \(format "keras"\)$/);
  await writeManifest({ ...m, steps: -1 });
  await rejects(dir, /manifest\.json: steps must be an integer >= 0, got -1$/);
  for (const [epochs, shown] of [[-1, "-1"], [1.5, "1.5"], ["2", '"2"'], [null, "null"]]) {
    await writeManifest({ ...m, epochs });
    await rejects(dir, new RegExp(`manifest\\.json: epochs must be an integer >= 0, got ${shown}$`));
  }
  const badOffset = structuredClone(m);
  badOffset.variables[2].offset = good.length;
  await writeManifest(badOffset);
  await rejects(
    dir,
    /variables\[2\] \(layers\[0\]\.batchNorm\.beta\) must end within the \d+ bytes of the weights file/,
  );
  // The arrays must tile the weights file: every offset 0 (all arrays read from the same bytes), a gap, a short end.
  const allZero = structuredClone(m);
  for (const v of [...allZero.variables, ...allZero.optimizerState.arrays]) v.offset = 0;
  await writeManifest(allZero);
  await rejects(
    dir,
    /manifest\.json: arrays overlap: \S+ starts at byte 0, inside \S+ \(bytes 0-\d+\); the arrays must tile/,
  );
  const gap = structuredClone(m);
  gap.variables[1].offset += 4;
  await writeManifest(gap);
  await rejects(
    dir,
    /manifest\.json: bytes \d+-\d+ of the weights file belong to no array \(before layers\[0\]\.batchNorm\.gamma\)/,
  );
  const short = structuredClone(m);
  short.optimizerState.arrays.pop();
  await writeManifest(short);
  await rejects(
    dir,
    /manifest\.json: the arrays end at byte \d+, the weights file has \d+ bytes; the arrays must tile/,
  );
  await Deno.remove(`${dir}/manifest.json`);
  await rejects(dir, /ckpt\/manifest\.json: is missing$/);
  await writeManifest(m);

  const spec = await Deno.readTextFile(`${dir}/spec.json`);
  await Deno.writeTextFile(`${dir}/spec.json`, spec.replace('"units": 12', '"units": 13'));
  await rejects(
    dir,
    /spec\.json: has SHA-256 [0-9a-f]{64}, the manifest expects [0-9a-f]{64} \(edited, corrupt, or from/,
  );
  await Deno.writeTextFile(`${dir}/spec.json`, spec);

  await rejects(`${root}/nothing`, /nothing: does not exist$/);
  // Still intact after all that.
  const net = await loadCheckpoint(dir);
  net.dispose();
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadCheckpoint() rejects weights that do not match the spec, naming the variable and both shapes", async () => {
  const { root, dir, manifest, writeManifest } = await fixture();
  const m = await manifest();
  // A consistent checkpoint whose spec.json was swapped for another network's (checksum updated too).
  const spec = JSON.parse(await Deno.readTextFile(`${dir}/spec.json`));
  spec.layers[1].units = 11;
  const text = JSON.stringify(spec);
  await Deno.writeTextFile(`${dir}/spec.json`, text);
  await writeManifest({ ...m, spec: { ...m.spec, sha256: await sha256(new TextEncoder().encode(text)) } });
  await rejects(
    dir,
    /manifest\.json: variable layers\[1\]\.kernel has shape \[12,10\], the network expects \[12,11\]$/,
  );

  await Deno.remove(root, { recursive: true });
});

Deno.test("loadCheckpoint() rejects a missing or extra variable and a missing optimizer counter", async () => {
  const { root, dir, manifest, writeManifest } = await fixture();
  const m = await manifest();
  // Renamed, the arrays still tile the weights file: the names are what is checked.
  const fewer = structuredClone(m);
  const bias = fewer.variables.findIndex((v: { name: string }) => v.name === "layers[2].bias");
  fewer.variables[bias].name = "layers[3].bias";
  await writeManifest(fewer);
  await rejects(dir, /manifest\.json: lacks the variable layers\[2\]\.bias \(shape \[4\]\) that the network has$/);
  const more = structuredClone(m);
  more.variables.push({ ...m.variables[0], name: "layers[3].kernel", shape: [0], offset: m.weights.bytes }); // no bytes
  await writeManifest(more);
  await rejects(dir, /manifest\.json: has the variable layers\[3\]\.kernel, which the network does not have$/);
  const noCounter = structuredClone(m);
  delete noCounter.optimizerState.counters["interfaces[1].random"];
  await writeManifest(noCounter);
  await rejects(dir, /lacks the optimizer state counter interfaces\[1\]\.random that the network has$/);
  const noSlot = structuredClone(m);
  noSlot.optimizerState.arrays[0].name = "layers[0].optimizer.kernel.q";
  await writeManifest(noSlot);
  await rejects(dir, /lacks the optimizer state array layers\[0\]\.optimizer\.kernel\.m \(shape \[16,12\]\)/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadCheckpoint() reports a spec it cannot build (an unregistered plugin) as a checkpoint error", async () => {
  const { root, dir, manifest, writeManifest } = await fixture();
  const m = await manifest();
  const spec = JSON.parse(await Deno.readTextFile(`${dir}/spec.json`));
  spec.layers[0].interface = { type: "my-plugin" };
  const text = JSON.stringify(spec);
  await Deno.writeTextFile(`${dir}/spec.json`, text);
  await writeManifest({ ...m, spec: { ...m.spec, sha256: await sha256(new TextEncoder().encode(text)) } });
  await rejects(dir, /spec\.json: cannot be built: Invalid spec: layers\[0\]\.interface is not a known interface/);
  // A spec (checksum recomputed) asking for 12 layers of 8192 units (3.2 GB) stops at the first layer beyond what the
  // manifest holds, before the rest is built.
  const huge = JSON.parse(await Deno.readTextFile(`${dir}/spec.json`));
  huge.layers = [...Array(12)].map(() => ({ type: "dense", units: 8192, activation: "relu" })).concat([
    huge.layers.at(-1),
  ]);
  const hugeText = JSON.stringify(huge);
  await Deno.writeTextFile(`${dir}/spec.json`, hugeText);
  await writeManifest({ ...m, spec: { ...m.spec, sha256: await sha256(new TextEncoder().encode(hugeText)) } });
  const started = Date.now();
  await rejects(
    dir,
    /spec\.json: cannot be built: Invalid spec: layers\[\d+\] would bring the network's layers to more than the \d+ values allowed here, got "\d+ values"$/,
  );
  assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadWeights() loads into a network of the same spec and rejects another spec without changing it", async () => {
  const { root, dir } = await fixture();
  const source = await loadCheckpoint(dir);
  const same = buildNetwork(specWith("csg"), { seed: 9 }); // another seed: the same network all the same
  const manifest = await loadWeights(same, dir);
  assert.equal(manifest.steps, 3);
  assert.deepEqual(values(same), values(source));
  const other = buildNetwork({
    ...specWith("csg"),
    layers: specWith("csg").layers.map((l, i) => i === 1 ? { ...l, units: 9 } : l),
  });
  const untouched = values(other);
  await assert.rejects(
    loadWeights(other, dir),
    /ckpt\/spec\.json: is the spec of another network: layers\[1\]\.units: 10 in the checkpoint, 9 in the network$/,
  );
  const sg = buildNetwork(specWith("sg"));
  await assert.rejects(
    loadWeights(sg, dir),
    /is the spec of another network: layers\[0\]\.interface\.type: "csg" in the checkpoint, "sg" in the network$/,
  );
  assert.deepEqual(values(other), untouched);
  for (const n of [source, same, other, sg]) n.dispose();
  await Deno.remove(root, { recursive: true });
});

Deno.test("a save interrupted between its two renames is found again: loading names where the old checkpoint is", async () => {
  const { root, dir } = await fixture();
  // What a crash right after "rename the old checkpoint aside" leaves behind.
  await Deno.rename(dir, `${root}/.ckpt.old-1234abcd`);
  await rejects(
    dir,
    /ckpt: does not exist; an interrupted save left the previous checkpoint in .*\/\.ckpt\.old-1234abcd \(rename it back\)$/,
  );
  await Deno.remove(root, { recursive: true });
});
