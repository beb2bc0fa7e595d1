// A sequence checkpoint's manifest: its `stream` and `carried` fields are checked like every other field (a bad
// value is a CheckpointError naming the field and the value), the carried arrays take part in the tiling check and
// must be a recurrent layer's; a feed-forward network's manifest has neither field.
import assert from "node:assert/strict";
import { CheckpointError } from "../errors.ts";
import { buildNetwork } from "../network/build.ts";
import { generatedText, textCorpus } from "../sequence/text.ts";
import { tempDir } from "../tests/_checkpoint_helpers.ts";
import { train } from "../training/train.ts";
import { type CheckpointManifest, parseManifest } from "./format.ts";
import { readCheckpoint } from "./read.ts";
import { restoreCheckpoint } from "./restore.ts";
import { saveCheckpoint } from "./save.ts";

// deno-lint-ignore no-explicit-any
type Loose = Record<string, any>;

const corpus = textCorpus(generatedText(3, 3000));
const spec = {
  input: [corpus.vocabulary.length],
  layers: [{ type: "lstm", units: 16 }, { type: "dense", units: corpus.vocabulary.length }],
  loss: "softmax-cross-entropy",
};

/** A text network saved after 2 batches (it carries a state); its manifest and directory. */
async function savedText(): Promise<{ dir: string; manifest: CheckpointManifest }> {
  const dir = `${await tempDir()}/ckpt`;
  const net = buildNetwork(spec);
  const options = { steps: 2, batchSize: 4, sequence: { truncation: 4, sequenceLength: 8 }, probeSize: 0 };
  await train(net, { task: "text", corpus, source: "generated" }, options);
  const manifest = await saveCheckpoint(net, dir);
  net.dispose();
  return { dir, manifest };
}

const { dir, manifest } = await savedText();

/** `parseManifest` of the saved manifest with `edit` applied fails naming what `pattern` matches. */
function refused(edit: (m: Loose) => void, pattern: RegExp): void {
  const m = structuredClone(manifest) as Loose;
  edit(m);
  assert.throws(() => parseManifest(JSON.stringify(m), "ckpt/manifest.json"), (e: Error) => {
    assert.ok(e instanceof CheckpointError, `expected a CheckpointError, got ${e.stack}`);
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("a sequence checkpoint's manifest has its stream and carried state, and parses back to itself", () => {
  assert.equal(manifest.stream?.task, "text");
  assert.equal(manifest.stream?.source, "generated");
  assert.deepEqual(manifest.stream?.position, { batches: 2 });
  assert.deepEqual(manifest.carried?.map((c) => [c.name, c.shape]), [["layers[0].carried", [4, 32]]]);
  assert.deepEqual(parseManifest(JSON.stringify(manifest), "m"), manifest);
});

Deno.test("a bad stream in a manifest is a CheckpointError naming the field and the value", () => {
  refused((m) => m.stream = "text", /stream must be an object, got "text"$/);
  refused(
    (m) => m.stream.task = "poetry",
    /stream\.task must be one of copy, repeat-copy, seq-mnist, text, got "poetry"$/,
  );
  refused((m) => m.stream.source = 3, /stream\.source must be a string, got 3$/);
  refused((m) => delete m.stream.options, /stream\.options must be an object, got undefined$/);
  refused((m) => m.stream.options.batchSize = 0, /stream\.options\.batchSize must be an integer >= 1, got 0$/);
  refused((m) => m.stream.options.seed = 1.5, /stream\.options\.seed must be an integer, got 1\.5$/);
  refused((m) => m.stream.options.truncation = "3", /stream\.options\.truncation must be an integer >= 1, got "3"$/);
  refused(
    (m) => m.stream.options.validationSplit = 1,
    /stream\.options\.validationSplit must be a number in \(0, 1\), got 1$/,
  );
  refused((m) => m.stream.position.batches = -1, /stream\.position\.batches must be an integer >= 0, got -1$/);
  refused((m) => m.stream.position = null, /stream\.position must be an object, got null$/);
});

Deno.test("a copy task's stream needs the generator's and a consistent curriculum's state", () => {
  const copy = (position: Loose) => (m: Loose) => {
    m.stream = { task: "copy", options: { batchSize: 8, seed: 1 }, position };
  };
  const curriculum = { level: 3, maxSequenceLength: 2, errors: [0.5], threshold: 0.15, window: 1 };
  refused(
    copy({ batches: 4, curriculum }),
    /stream\.position\.random must be an integer in \[0, 2\^32\) .*, got undefined$/,
  );
  refused(copy({ batches: 4, random: 7 }), /stream\.position\.curriculum must be an object .*, got undefined$/);
  refused(
    copy({ batches: 4, random: 7, curriculum: { ...curriculum, level: 0 } }),
    /stream\.position\.curriculum\.level must be an integer >= 1, got 0$/,
  );
  refused(
    copy({ batches: 4, random: 7, curriculum: { ...curriculum, errors: [NaN] } }),
    /stream\.position\.curriculum\.errors\[0\] must be a finite number >= 0, got null$/,
  );
  refused(
    copy({ batches: 4, random: 7, curriculum: { ...curriculum, maxSequenceLength: 3 } }),
    /stream\.position\.curriculum is inconsistent \(Curriculum state: maxSequenceLength must be an integer in \[0, 3\), got 3\)/,
  );
  const m = structuredClone(manifest) as Loose;
  copy({ batches: 4, random: 7, curriculum })(m);
  assert.deepEqual(parseManifest(JSON.stringify(m), "m").stream?.position, { batches: 4, random: 7, curriculum });
});

Deno.test("bad carried entries in a manifest are CheckpointErrors naming the field; they are part of the tiling", () => {
  refused((m) => m.carried = {}, /carried must be an array, got \{\}$/);
  refused(
    (m) => m.carried[0].name = "layers[0].kernel",
    /carried\[0\]\.name must be layers\[j\]\.carried, got "layers\[0\]\.kernel"$/,
  );
  refused((m) => m.carried[0].shape = [128], /carried\[0\]\.shape must be \[B, 2 units\], got \[128\]$/);
  refused((m) => m.carried[0].dtype = "int32", /carried\[0\]\.dtype must be float32, got "int32"$/);
  refused(
    (m) => m.carried[0].offset = 0,
    /arrays overlap: layers\[0\]\.carried starts at byte 0, inside layers\[0\]\.kernel \(bytes 0-\d+\); the arrays must tile the weights file$/,
  );
  refused((m) => delete m.carried, /the arrays end at byte \d+, the weights file has \d+ bytes/);
});

Deno.test("a carried state that is not a recurrent layer's, or of another width, is refused before anything changes", async () => {
  const checkpoint = await readCheckpoint(dir);
  const net = buildNetwork(spec);
  const fails = (edit: (carried: Loose) => void, pattern: RegExp) => {
    const c = structuredClone(checkpoint);
    edit(c.manifest.carried![0]!);
    assert.throws(
      () => restoreCheckpoint(net, c),
      (e: Error) => e instanceof CheckpointError && pattern.test(e.message),
    );
  };
  fails(
    (c) => c.name = "layers[1].carried",
    /manifest\.json: has the carried state layers\[1\]\.carried, which the network does not have \(no recurrent layer 1\)$/,
  );
  fails(
    (c) => c.shape = [2, 64],
    /carried state layers\[0\]\.carried has shape \[2,64\], the network expects \[B, 32\]/,
  );
  assert.equal(net.steps, 0, "nothing changed");
  assert.equal(net.stream, undefined);
  restoreCheckpoint(net, checkpoint);
  assert.deepEqual(net.stream, checkpoint.manifest.stream);
  net.dispose();
  await Deno.remove(dir.replace(/\/ckpt$/, ""), { recursive: true });
});

Deno.test("a feed-forward network's manifest has no stream and no carried field", async () => {
  const dir = `${await tempDir()}/ckpt`;
  const net = buildNetwork({
    input: [4],
    layers: [{ type: "dense", units: 3, interface: "sg" }, { type: "dense", units: 2 }],
  });
  const saved = await saveCheckpoint(net, dir);
  const text = await Deno.readTextFile(`${dir}/manifest.json`);
  const keys = ["format", "version", "steps", "epochs", "spec", "weights", "variables", "optimizerState", "savedWith"];
  assert.deepEqual(Object.keys(JSON.parse(text)), keys);
  assert.deepEqual(Object.keys(saved), keys);
  net.dispose();
  await Deno.remove(dir.replace(/\/ckpt$/, ""), { recursive: true });
});
