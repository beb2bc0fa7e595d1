import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { CheckpointError } from "../errors.ts";
import type { Network } from "../network/network.ts";
import {
  data,
  INTERFACES,
  listDir,
  predictions,
  specWith,
  tempDir,
  trained,
  values,
} from "../tests/_checkpoint_helpers.ts";
import { loadCheckpoint } from "./load.ts";
import { saveCheckpoint } from "./save.ts";

// The synthetic gradient each sg/csg interface gives for the first 32 test examples and their labels.
function synthesized(net: Network): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor2d(data.test.x.subarray(0, 32 * 16), [32, 16]);
    const labels = tf.oneHot(tf.tensor1d(data.test.labels.subarray(0, 32), "int32"), 4).toFloat();
    let h: tf.Tensor = x;
    const out: tf.Tensor[] = [];
    net.interfaces.forEach((iface, i) => {
      h = net.layers[i]!.forward(h, "eval").output;
      if (iface.decouples) out.push(iface.synthesize(h, { labels: labels as tf.Tensor2D, step: 0 }));
    });
    return out;
  }).map((t) => {
    const v = t.dataSync().slice() as Float32Array;
    t.dispose();
    return v;
  });
}

for (const [name, iface] of INTERFACES) {
  Deno.test(`saveCheckpoint() then loadCheckpoint() gives identical predictions and synthetic gradients (${name}, batch norm)`, async () => {
    const before = tf.memory().numTensors;
    const dir = await tempDir();
    const net = trained(specWith(iface), 6);
    const manifest = await saveCheckpoint(net, `${dir}/ckpt`);
    const copy = await loadCheckpoint(`${dir}/ckpt`);
    assert.deepEqual(copy.getSpec(), net.getSpec());
    assert.equal(copy.steps, 6);
    assert.equal(manifest.steps, 6);
    assert.deepEqual(values(copy), values(net));
    const p = predictions(net);
    assert.ok(p.some((v) => Math.abs(v - 0.25) > 0.01), "the network has learned something");
    assert.deepEqual(predictions(copy), p);
    const s = synthesized(net);
    assert.equal(s.length, name === "backprop" ? 0 : 2);
    if (name !== "backprop") assert.ok(s[0]!.some((v) => v !== 0), "the synthesizer has learned something");
    assert.deepEqual(synthesized(copy), s);
    // Batch-norm running statistics are saved (they moved away from their initial zeros).
    const names = manifest.variables.map((v) => v.name);
    const movingMean = names.indexOf("layers[1].batchNorm.movingMean");
    assert.ok(values(net)[movingMean]!.some((v) => v !== 0));
    if (name === "csg") {
      assert.ok(names.includes("interfaces[1].synthesizer.hidden[0].batchNorm.movingVariance"));
      assert.ok(names.includes("interfaces[0].synthesizer.output.kernel"));
    }
    assert.deepEqual(await listDir(dir), ["ckpt"], "no temporary directory is left");
    assert.deepEqual(await listDir(`${dir}/ckpt`), ["manifest.json", "spec.json", "weights.bin"]);
    net.dispose();
    copy.dispose();
    assert.equal(tf.memory().numTensors, before, "no tensor leaks");
    await Deno.remove(dir, { recursive: true });
  });
}

Deno.test("saveCheckpoint() replaces an existing checkpoint with the new one", async () => {
  const dir = await tempDir();
  const first = trained(specWith("sg"), 2), second = trained(specWith("sg"), 5);
  await saveCheckpoint(first, `${dir}/ckpt`);
  await saveCheckpoint(second, `${dir}/ckpt`);
  const loaded = await loadCheckpoint(`${dir}/ckpt`);
  assert.equal(loaded.steps, 5);
  assert.deepEqual(values(loaded), values(second));
  assert.deepEqual(await listDir(dir), ["ckpt"]);
  for (const n of [first, second, loaded]) n.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an interrupted save leaves the previous checkpoint loadable and no temporary directory", async () => {
  const dir = await tempDir();
  const ckpt = `${dir}/ckpt`;
  const old = trained(specWith("csg"), 2), next = trained(specWith("csg"), 6);
  await saveCheckpoint(old, ckpt);
  const before = await Deno.readFile(`${ckpt}/weights.bin`);
  // Fail in the middle of writing: after the weights file, before the spec and the manifest.
  let writes = 0;
  const failing = async (path: string, bytes: Uint8Array) => {
    if (++writes === 2) throw new Error("disk full (injected)");
    await Deno.writeFile(path, bytes);
  };
  await assert.rejects(saveCheckpoint(next, ckpt, { writeFile: failing }), (e: Error) => {
    assert.ok(e instanceof CheckpointError);
    assert.match(e.message, /cannot be saved \(disk full \(injected\)\); the previous checkpoint is unchanged$/);
    return true;
  });
  assert.equal(writes, 2);
  // Fail when renaming the new checkpoint into place, after the old one was moved aside: it is put back.
  const failingRename = async (from: string, to: string) => {
    if (from.includes(".partial-")) throw new Error("rename failed (injected)");
    await Deno.rename(from, to);
  };
  await assert.rejects(saveCheckpoint(next, ckpt, { rename: failingRename }), /rename failed \(injected\)\); the prev/);
  assert.deepEqual(await listDir(dir), ["ckpt"], "no temporary directory is left");
  assert.deepEqual(await Deno.readFile(`${ckpt}/weights.bin`), before);
  const loaded = await loadCheckpoint(ckpt);
  assert.deepEqual(values(loaded), values(old));
  // With no previous checkpoint, a failed save leaves nothing at all.
  writes = 0;
  await assert.rejects(saveCheckpoint(next, `${dir}/fresh`, { writeFile: failing }), /nothing was written$/);
  assert.deepEqual(await listDir(dir), ["ckpt"]);
  for (const n of [old, next, loaded]) n.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("saveCheckpoint() never overwrites something that is not a checkpoint", async () => {
  const dir = await tempDir();
  const net = trained(specWith("backprop"), 1);
  await Deno.mkdir(`${dir}/notes`);
  await Deno.writeTextFile(`${dir}/notes/todo.txt`, "keep me");
  await Deno.writeTextFile(`${dir}/file`, "keep me too");
  await Deno.mkdir(`${dir}/other`);
  await Deno.writeTextFile(`${dir}/other/manifest.json`, '{"name": "a web app"}');
  await saveCheckpoint(net, `${dir}/ckpt`);
  await Deno.writeTextFile(`${dir}/ckpt/README`, "mine");
  const cases: [string, RegExp][] = [
    ["notes", /notes: holds "todo\.txt", which is not part of a checkpoint; not replacing it/],
    ["file", /file: exists and is not a directory; not replacing it/],
    ["other", /other: has a manifest\.json that is not a dni checkpoint's; not replacing it/],
    ["ckpt", /ckpt: holds "README", which is not part of a checkpoint/],
  ];
  for (const [name, pattern] of cases) {
    await assert.rejects(
      saveCheckpoint(net, `${dir}/${name}`),
      (e: Error) => e instanceof CheckpointError && pattern.test(e.message),
    );
  }
  assert.equal(await Deno.readTextFile(`${dir}/notes/todo.txt`), "keep me");
  assert.equal(await Deno.readTextFile(`${dir}/file`), "keep me too");
  assert.equal(await Deno.readTextFile(`${dir}/ckpt/README`), "mine");
  assert.deepEqual(await listDir(dir), ["ckpt", "file", "notes", "other"]);
  net.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("saveCheckpoint() without optimizer state; loading then cannot require it", async () => {
  const dir = await tempDir();
  const net = trained(specWith("sg"), 3);
  const manifest = await saveCheckpoint(net, `${dir}/ckpt`, { optimizerState: false });
  assert.equal(manifest.optimizerState, null);
  await assert.rejects(
    loadCheckpoint(`${dir}/ckpt`, { optimizerState: true }),
    /manifest\.json: has no optimizer state \(it was saved without it\)/,
  );
  const loaded = await loadCheckpoint(`${dir}/ckpt`);
  assert.deepEqual(predictions(loaded), predictions(net));
  net.dispose();
  loaded.dispose();
  await Deno.remove(dir, { recursive: true });
});
