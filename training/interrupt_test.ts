// A run stopped by its signal inside an epoch saves the state after its last completed batch, and a run resumed from
// that checkpoint finishes exactly as the uninterrupted one: on one thread, in a staleness-0 pipeline, and for a
// sequence task's stream. Checkpoints every N steps, and what a signal aborted before the first batch does.
import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { buildNetwork } from "../network/build.ts";
import type { Network } from "../network/network.ts";
import type { NetworkSpec } from "../network/spec.ts";
import { syntheticDataset } from "../datasets/synthetic.ts";
import type { Dataset } from "../datasets/dataset.ts";
import type { SequenceData } from "../recurrent/sequence_data.ts";
import { saveCheckpoint } from "../checkpoint/save.ts";
import { loadCheckpoint } from "../checkpoint/load.ts";
import { networkOptimizerState } from "../checkpoint/contents.ts";
import { holdOneBlasThread } from "../parallel/_blas_threads.ts";
import { pipeline } from "../parallel/pipeline.ts";
import type { Strategy } from "../execution/strategy.ts";
import type { CheckpointInfo, History } from "./history.ts";
import type { TrainOptions } from "./options.ts";
import { train } from "./train.ts";

const spec: NetworkSpec = {
  input: [8],
  layers: [
    { type: "dense", units: 16, activation: "relu", interface: "csg" },
    { type: "dense", units: 3 },
  ],
  optimizer: { type: "adam", learningRate: 0.01 },
};
const data = syntheticDataset({ features: 8, classes: 3, trainCount: 256, testCount: 32, seed: 4 });
const options: TrainOptions = { batchSize: 32, seed: 3 }; // 8 batches an epoch
const weights = (net: Network) => net.variables.map((v) => [...v.dataSync()]);

// Trains `make()` for `epochs`, stopped by its signal after batch `batch` of epoch `epoch` (saved to a checkpoint
// there), then loads the checkpoint and trains on to `epochs`; returns both parts' histories and the resumed network.
async function interruptAndResume(
  make: () => Network,
  source: Dataset | SequenceData,
  at: { epoch: number; batch: number },
  more: TrainOptions,
  strategy?: () => Strategy,
): Promise<{ first: History; rest: History; resumed: Network; saved: CheckpointInfo[] }> {
  const dir = `${await Deno.makeTempDir()}/ckpt`;
  const net = make();
  const stop = new AbortController();
  const saved: CheckpointInfo[] = [];
  const first = await train(net, source, {
    ...more,
    ...(strategy ? { strategy: strategy() } : {}),
    signal: stop.signal,
    callbacks: {
      onBatchEnd: (b) => {
        if (b.epoch === at.epoch && b.batch === at.batch) stop.abort();
      },
      onCheckpoint: async (info) => {
        saved.push(info);
        await saveCheckpoint(net, dir);
      },
    },
  });
  net.dispose();
  const resumed = await loadCheckpoint(dir);
  await Deno.remove(dir, { recursive: true });
  const total = more.epochs ?? 1;
  const rest = await train(resumed, source, {
    ...more,
    ...(strategy ? { strategy: strategy() } : {}),
    epochs: total - resumed.epochs,
    initialEpoch: resumed.epochs,
  });
  return { first, rest, resumed, saved };
}

Deno.test("a run stopped by its signal in epoch 2 and resumed from its checkpoint equals the uninterrupted run", async () => {
  const steady = buildNetwork(spec);
  const whole = await train(steady, data, { ...options, epochs: 3 });
  const before = tf.memory().numTensors;
  const { first, rest, resumed, saved } = await interruptAndResume(() => buildNetwork(spec), data, {
    epoch: 2,
    batch: 3,
  }, { ...options, epochs: 3 });
  assert.deepEqual(first.interrupted, { epoch: 2, batch: 3 });
  assert.deepEqual(saved.map((s) => [s.reason, s.epoch, s.batch]), [["epoch", 1, 8], ["interrupted", 2, 3]]);
  assert.deepEqual(first.epochs.map((e) => e.epoch), [1], "the interrupted epoch is not recorded");
  assert.equal(resumed.epochs, 3, "the rest trained epochs 2 (from batch 4) and 3");
  assert.equal(resumed.epochProgress, undefined);
  assert.deepEqual(rest.epochs.map((e) => e.epoch), [2, 3]);
  assert.deepEqual(
    [...first.epochs, ...rest.epochs].map((e) => [e.loss, e.accuracy, e.testLoss]),
    whole.epochs.map((e) => [e.loss, e.accuracy, e.testLoss]),
    "every epoch's record, the resumed one's sums included",
  );
  assert.deepEqual(weights(resumed), weights(steady));
  assert.deepEqual(networkOptimizerState(resumed), networkOptimizerState(steady));
  assert.equal(resumed.steps, steady.steps);
  resumed.dispose();
  assert.equal(tf.memory().numTensors, before, "no tensor left by the interrupted run, the save or the resumed one");
  steady.dispose();
});

Deno.test("a checkpoint saved inside an epoch records where: the batch and the epoch's sums", async () => {
  const net = buildNetwork(spec);
  const stop = new AbortController();
  const dir = `${await Deno.makeTempDir()}/ckpt`;
  const history = await train(net, data, {
    ...options,
    epochs: 2,
    signal: stop.signal,
    callbacks: {
      onBatchEnd: (b) => b.batch === 5 && stop.abort(),
      onCheckpoint: () => saveCheckpoint(net, dir).then(() => {}),
    },
  });
  assert.deepEqual(history.interrupted, { epoch: 1, batch: 5 });
  assert.equal(history.epochs.length, 0);
  assert.equal(history.samplesPerSecond, 0);
  const manifest = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
  assert.equal(manifest.epochs, 0);
  assert.equal(manifest.steps, 5);
  assert.equal(manifest.position.batch, 5);
  assert.equal(manifest.position.meter.samples, 5 * 32);
  net.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("checkpointEvery calls onCheckpoint every N steps across epochs, and changes nothing on one thread", async () => {
  const a = buildNetwork(spec), b = buildNetwork(spec);
  const at: [string, number, number][] = [];
  const h1 = await train(a, data, {
    ...options,
    epochs: 2,
    checkpointEvery: 3,
    callbacks: { onCheckpoint: (c) => void at.push([c.reason, c.epoch, c.batch]) },
  });
  const h2 = await train(b, data, { ...options, epochs: 2 });
  assert.deepEqual(at, [
    ["steps", 1, 3],
    ["steps", 1, 6],
    ["epoch", 1, 8],
    ["steps", 2, 1],
    ["steps", 2, 4],
    ["steps", 2, 7],
    ["epoch", 2, 8],
  ]);
  assert.deepEqual(h1.epochs.map((e) => e.loss), h2.epochs.map((e) => e.loss));
  assert.deepEqual(weights(a), weights(b));
  // the synthesizer's loss is the epoch's mean over all its pieces (summed in parts: equal to float32 rounding)
  const losses = (h: typeof h1) => h.epochs.map((e) => e.interfaces![0]!.synthesizerLoss as number);
  for (const [i, x] of losses(h1).entries()) {
    const y = losses(h2)[i]!;
    assert.ok(Math.abs(x - y) <= 1e-6 * Math.abs(y), `synthesizer loss ${x} against ${y}`);
  }
  assert.deepEqual(h1.epochs.map((e) => e.interfaces![0]!.cosine), h2.epochs.map((e) => e.interfaces![0]!.cosine));
  a.dispose();
  b.dispose();
});

Deno.test("a signal aborted before the first batch trains nothing and says so", async () => {
  const net = buildNetwork(spec);
  const seen: CheckpointInfo[] = [];
  const history = await train(net, data, {
    ...options,
    epochs: 2,
    signal: AbortSignal.abort(),
    callbacks: { onCheckpoint: (c) => void seen.push(c) },
  });
  assert.deepEqual(history.interrupted, { epoch: 1, batch: 0 });
  assert.deepEqual(seen, [{ reason: "interrupted", epoch: 1, batch: 0 }]);
  assert.equal(net.steps, 0);
  await assert.rejects(
    () => train(net, data, { ...options, signal: "stop" as unknown as AbortSignal }),
    /signal must be an AbortSignal, got "stop"/,
  );
  net.dispose();
});

Deno.test("a staleness-0 pipeline stopped by its signal drains, gives back its state, and resumes exactly", async () => {
  const small: TrainOptions = { batchSize: 8, seed: 3, epochs: 3 }; // 32 batches an epoch
  const steady = buildNetwork(spec);
  const release = holdOneBlasThread(); // as each Worker runs (see parallel/pipeline_test.ts)
  let whole: History;
  try {
    whole = await train(steady, data, small);
  } finally {
    release();
  }
  const { first, rest, resumed } = await interruptAndResume(
    () => buildNetwork(spec),
    data,
    { epoch: 2, batch: 3 },
    small,
    () => pipeline({ workers: 2, staleness: 0, transport: "messages" }),
  );
  // The batches fed before the signal was heard are finished: at least the 3rd, not the whole epoch.
  const stopped = first.interrupted!;
  assert.equal(stopped.epoch, 2);
  assert.ok(stopped.batch >= 3 && stopped.batch < 32, JSON.stringify(stopped));
  assert.deepEqual([...first.epochs, ...rest.epochs].map((e) => e.loss), whole.epochs.map((e) => e.loss));
  assert.deepEqual(weights(resumed), weights(steady));
  resumed.dispose();
  steady.dispose();
});

Deno.test("a copy task stopped inside an epoch resumes its stream and curriculum exactly", async () => {
  const copy: NetworkSpec = {
    input: [9],
    layers: [{ type: "lstm", units: 16, stateInterface: "sg" }, { type: "dense", units: 8 }],
    loss: "sigmoid-cross-entropy",
    optimizer: { type: "adam", learningRate: 0.01 },
  };
  const more: TrainOptions = { batchSize: 8, seed: 2, epochs: 2, stepsPerEpoch: 6, probeSize: 0 };
  const steady = buildNetwork(copy);
  const whole = await train(steady, { task: "copy" }, more);
  const { first, rest, resumed } = await interruptAndResume(
    () => buildNetwork(copy),
    { task: "copy" },
    { epoch: 1, batch: 4 },
    more,
  );
  assert.deepEqual(first.interrupted, { epoch: 1, batch: 4 });
  assert.deepEqual(
    rest.epochs.map((e) => [e.loss, e.errorBits, e.level]),
    whole.epochs.map((e) => [e.loss, e.errorBits, e.level]),
  );
  assert.deepEqual(weights(resumed), weights(steady));
  assert.deepEqual(resumed.stream, steady.stream);
  resumed.dispose();
  steady.dispose();
});

Deno.test("an epoch stopped inside is finished with the batch size it began with, else a clear error", async () => {
  const net = buildNetwork(spec);
  const stop = new AbortController();
  await train(net, data, {
    ...options,
    epochs: 2,
    signal: stop.signal,
    callbacks: { onBatchEnd: (b) => b.batch === 2 && stop.abort() },
  });
  assert.equal(net.epochProgress?.batch, 2);
  await assert.rejects(
    () => train(net, data, { ...options, batchSize: 64 }),
    /^RangeError: The network stopped inside epoch 1 after 2 batches of 32: finish that epoch with batchSize 32, not 64/,
  );
  // From the next epoch on, another batch size is another run's choice.
  await train(net, data, { ...options, batchSize: 64, initialEpoch: 1 });
  assert.equal(net.epochs, 2);
  assert.equal(net.epochProgress, undefined);
  net.dispose();
});
