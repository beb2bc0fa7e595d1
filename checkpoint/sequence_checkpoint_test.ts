// Checkpoints of sequence networks: the state interface's variables and training state, the DNI + Aux head, the
// task's stream and the carried text state round-trip, and a resumed run is the uninterrupted one, bit for bit.
import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { hasTrainingState } from "../interfaces/interface.ts";
import { buildNetwork } from "../network/build.ts";
import type { Network } from "../network/network.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { holdOneBlasThread } from "../parallel/_blas_threads.ts";
import { isRecurrent } from "../recurrent/recurrent_layer.ts";
import type { SequenceData } from "../recurrent/sequence_data.ts";
import { generatedText, textCorpus } from "../sequence/text.ts";
import { tempDir } from "../tests/_checkpoint_helpers.ts";
import type { TrainOptions } from "../training/options.ts";
import { train } from "../training/train.ts";
import { carriedStates, networkOptimizerState, networkVariables } from "./contents.ts";
import { loadCheckpoint } from "./load.ts";
import { saveCheckpoint } from "./save.ts";

const copySpec = (stateInterface?: unknown): NetworkSpec => ({
  input: [9],
  layers: [
    {
      type: "lstm",
      units: 16,
      ...(stateInterface === undefined ? {} : { stateInterface }),
    } as NetworkSpec["layers"][0],
    { type: "dense", units: 8 },
  ],
  loss: "sigmoid-cross-entropy",
  optimizer: { type: "adam", learningRate: 0.01 },
});

const corpus = textCorpus(generatedText(7, 5000));
const text: SequenceData = { task: "text", corpus, source: "generated" };
const vocabulary = corpus.vocabulary.length;
const textSpec = (stateInterface?: unknown): NetworkSpec => ({
  input: [vocabulary],
  layers: [
    {
      type: "lstm",
      units: 16,
      ...(stateInterface === undefined ? {} : { stateInterface }),
    } as NetworkSpec["layers"][0],
    { type: "dense", units: vocabulary },
  ],
  loss: "softmax-cross-entropy",
});

/** Every variable by name, and every carried state, as arrays. */
function values(net: Network): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const { name, variable } of networkVariables(net)) out[name] = variable.dataSync().slice() as Float32Array;
  for (const { name, state } of carriedStates(net)) out[name] = state.dataSync().slice() as Float32Array;
  return out;
}

Deno.test("a sequence network with a state interface and DNI + Aux round-trips every variable, its optimizer state and its stream", async () => {
  const before = tf.memory().numTensors;
  const dir = await tempDir();
  const net = buildNetwork(copySpec({ type: "sg", aux: true }));
  // From pattern length 4 on, a copy sequence spans several windows of 3: the state interface and its head train.
  const sequence = { truncation: 3, startLength: 4 };
  await train(net, { task: "copy" }, { steps: 6, stepsPerEpoch: 3, batchSize: 8, sequence, seed: 2 });
  const manifest = await saveCheckpoint(net, `${dir}/ckpt`);
  const names = manifest.variables.map((v) => v.name);
  for (const name of ["layers[0].kernel", "layers[0].aux.kernel", "layers[0].aux.bias"]) {
    assert.ok(names.includes(name));
  }
  assert.ok(names.some((n) => n.startsWith("layers[0].stateInterface.synthesizer.")), names.join());
  const stateNames = [
    ...manifest.optimizerState!.arrays.map((a) => a.name),
    ...Object.keys(manifest.optimizerState!.counters),
  ];
  assert.ok(stateNames.includes("layers[0].optimizer.aux.kernel.m"), stateNames.join());
  assert.ok(stateNames.some((n) => n.startsWith("layers[0].stateInterface.synthesizer.optimizer.")), stateNames.join());
  assert.equal(manifest.carried, undefined, "the copy tasks carry no state between batches");
  const copy = await loadCheckpoint(`${dir}/ckpt`);
  assert.deepEqual(values(copy), values(net));
  const [a, b] = [networkOptimizerState(copy), networkOptimizerState(net)];
  assert.deepEqual(a.counters, b.counters);
  assert.deepEqual(a.arrays, b.arrays);
  assert.deepEqual([copy.steps, copy.epochs], [net.steps, 2]);
  assert.deepEqual(copy.stream, net.stream);
  assert.equal(copy.stream?.position.batches, 6);
  copy.dispose();
  net.dispose();
  assert.equal(tf.memory().numTensors, before, "no tensor leaks");
  await Deno.remove(dir, { recursive: true });
});

/**
 * `2n` steps in one run against `n` steps, a checkpoint, and `n` more in the network loaded from it: the last
 * epoch's numbers and every final weight (and carried state) bit for bit. With one BLAS thread. `spoil` takes
 * something out of a loaded network that the resumed run needs: then it ends elsewhere.
 */
async function resumeIsExact(
  spec: NetworkSpec,
  data: SequenceData,
  n: number,
  carries: boolean,
  spoil: (loaded: Network) => void,
): Promise<void> {
  const release = holdOneBlasThread();
  const dir = await tempDir();
  try {
    const options: TrainOptions = {
      stepsPerEpoch: n,
      batchSize: 8,
      sequence: data.task === "text" ? { truncation: 3, sequenceLength: 12 } : { truncation: 3, startLength: 4 },
      seed: 1,
      probeSize: 0,
    };
    const steady = buildNetwork(spec);
    const whole = await train(steady, data, { ...options, steps: 2 * n });
    const first = buildNetwork(spec);
    await train(first, data, { ...options, steps: n });
    const manifest = await saveCheckpoint(first, `${dir}/ckpt`);
    assert.equal(
      manifest.carried !== undefined,
      carries,
      `carried state saved: ${manifest.carried?.map((c) => c.name)}`,
    );
    first.dispose();
    const resumed = await loadCheckpoint(`${dir}/ckpt`);
    assert.equal(resumed.epochs, 1);
    const rest = await train(resumed, data, { ...options, steps: n, initialEpoch: resumed.epochs });
    const last = (h: typeof whole) => {
      const { memory: _m, seconds: _s, evalSeconds: _e, samplesPerSecond: _p, ...numbers } = h.epochs.at(-1)!;
      return numbers;
    };
    assert.deepEqual(rest.epochs.map((e) => e.epoch), [2]);
    assert.deepEqual(last(rest), last(whole), "the last epoch's numbers");
    assert.deepEqual([resumed.steps, resumed.epochs], [steady.steps, steady.epochs]);
    assert.deepEqual(values(resumed), values(steady), "every weight (and carried state), bit for bit");
    assert.deepEqual(resumed.stream, steady.stream);
    const spoiled = await loadCheckpoint(`${dir}/ckpt`);
    spoil(spoiled);
    await train(spoiled, data, { ...options, steps: n, initialEpoch: spoiled.epochs });
    assert.notDeepEqual(values(spoiled), values(steady), "what was taken out mattered");
    for (const net of [steady, resumed, spoiled]) net.dispose();
  } finally {
    release();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a copy-task run resumed from a checkpoint (sg + aux on the state) equals the uninterrupted run", async () => {
  const before = tf.memory().numTensors;
  // Without the state interface's training state (its synthesizer's Adam moments), the run goes elsewhere.
  const forget = (net: Network) => {
    const layer = net.layers[0]!;
    if (!isRecurrent(layer) || !hasTrainingState(layer.stateInterface!)) throw new Error("an sg state interface");
    const state = layer.stateInterface.getTrainingState();
    layer.stateInterface.setTrainingState({
      ...state,
      arrays: state.arrays.map((a) => ({ ...a, values: a.values.map(() => 0) })),
    });
  };
  await resumeIsExact(copySpec({ type: "sg", aux: true }), { task: "copy" }, 4, false, forget);
  assert.equal(tf.memory().numTensors, before, "no tensor leaks");
});

Deno.test("a text run resumed from a checkpoint equals the uninterrupted run: the carried state travels", async () => {
  const before = tf.memory().numTensors;
  await resumeIsExact(textSpec(), text, 3, true, (net) => net.layers.forEach((l) => isRecurrent(l) && l.resetState()));
  assert.equal(tf.memory().numTensors, before, "no tensor leaks");
});

Deno.test("a text run with a state interface resumes from its checkpoint (the boundary awaiting its message is dropped)", async () => {
  const dir = await tempDir();
  const net = buildNetwork(textSpec("sg"));
  const options: TrainOptions = {
    stepsPerEpoch: 3,
    batchSize: 8,
    sequence: { truncation: 3, sequenceLength: 12 },
    probeSize: 0,
  };
  await train(net, text, { ...options, steps: 3 });
  const manifest = await saveCheckpoint(net, `${dir}/ckpt`);
  assert.deepEqual(manifest.carried?.map((c) => [c.name, c.shape]), [["layers[0].carried", [8, 32]]]);
  const resumed = await loadCheckpoint(`${dir}/ckpt`);
  const layer = resumed.layers[0]!;
  assert.ok(isRecurrent(layer) && layer.carried !== undefined);
  assert.deepEqual(layer.carried.dataSync(), carriedStates(net)[0]!.state.dataSync());
  const rest = await train(resumed, text, { ...options, steps: 3, initialEpoch: resumed.epochs });
  assert.ok(Number.isFinite(rest.epochs[0]!.loss), `${rest.epochs[0]!.loss}`);
  assert.deepEqual([resumed.steps, resumed.epochs, resumed.stream?.position.batches], [2 * net.steps, 2, 6]);
  for (const n of [net, resumed]) n.dispose();
  await Deno.remove(dir, { recursive: true });
});
