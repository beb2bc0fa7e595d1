import assert from "node:assert/strict";
import { tf } from "../../deps.ts";
import { batches } from "../../datasets/dataset.ts";
import { oneHotLabels } from "../../datasets/one_hot.ts";
import { buildNetwork } from "../../network/build.ts";
import { createRegistries } from "../../network/registries.ts";
import { data, spec } from "../../tests/_pipeline_fixture.ts";
import { planStages } from "../partition.ts";
import type { Forward, FromStage, Message, ToStage } from "../protocol.ts";
import { SharedRing } from "../transport/shared/_ring.ts";
import { stamp } from "./_clock.ts";
import { MessageLinks } from "../transport/_messages.ts";
import type { StagePort } from "./_links.ts";
import { stageLoop, type StageLoopOptions } from "./_loop.ts";
import { collectedProblem, consumedRefusal, resultRefusal } from "../schedule/_validate.ts";
import { batchesRefusal, ringsRefusal } from "../transport/shared/_validate.ts";
import { readWeights } from "../_weights.ts";

type Collected = Extract<FromStage, { kind: "collected" }>;

/**
 * The fixture's network in two stages (as `pipeline({ workers: 2, staleness: 0 })` cuts it: the upper one sends its
 * message as two factors) on MessageLinks whose ports queue what they are posted; `run` delivers the queue in order,
 * calling `before(k, m)` before each item, and `send` hands a stage anything at once.
 */
function twoStages(options: StageLoopOptions = {}) {
  const net = buildNetwork(spec);
  const stages = planStages(net, 2);
  const weights = readWeights(net.variables);
  net.dispose();
  const queue: [number, ToStage][] = [];
  const replies = stages.map(() => [] as FromStage[]);
  const warnings: string[] = [];
  const port = (k: number): StagePort => ({ postMessage: (m) => void queue.push([k, m]) });
  const handles = stages.map((_, k) =>
    stageLoop(
      (m) => void replies[k]!.push(m),
      (_init, place) =>
        new MessageLinks({
          ...place,
          down: k > 0 ? port(k - 1) : undefined,
          up: k < stages.length - 1 ? port(k + 1) : undefined,
        }),
      { warn: (line) => void warnings.push(line), ...options },
    )
  );
  const init = (k: number): ToStage => ({
    kind: "init",
    spec,
    plugins: [],
    seed: 0,
    backend: tf.getBackend(),
    transport: "messages",
    weights: weights.map((w) => w.slice()),
    index: k,
    lo: stages[k]!.lo,
    hi: stages[k]!.hi,
    staleness: 0,
    messageBelow: stages[k]!.messageBelow === true,
  });
  const send = (k: number, m: unknown) => handles[k]!(m as ToStage);
  const run = (before: (k: number, m: ToStage) => void = () => {}) => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      before(item[0], item[1]);
      handles[item[0]]!(item[1]);
    }
  };
  const feed = (step: number, b: { x: Float32Array; labels: Uint8Array; size: number }) =>
    queue.push([0, { kind: "forward", step, x: b.x, rows: b.size, labels: b.labels, sent: stamp() }]);
  return { stages, replies, warnings, init, send, run, feed };
}

// Resolves once `ready()` holds (a stage's init is asynchronous).
async function until(ready: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !ready(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
  assert.ok(ready(), "timed out");
}

// Trains the two stages over one epoch; with `junk`, hands them junk of every shape around the valid traffic.
// Returns what each stage collected, the live tensors after each step (less those after the first), the results,
// the warnings, and the junk messages handed to each stage.
async function trainTwoStages(junk: boolean) {
  const h = twoStages();
  const sent = [0, 0];
  const trash = (k: number, m: unknown) => {
    sent[k]!++;
    h.send(k, m);
  };
  if (junk) {
    const b = [...batches(data.train, 40, 32, 1)][0]!;
    trash(0, { kind: "forward", step: 0, x: b.x, rows: b.size, labels: b.labels });
    trash(1, { kind: "collect" });
  }
  h.send(0, h.init(0));
  h.send(1, h.init(1));
  if (junk) {
    trash(0, h.init(0)); // while the first init is under way
    trash(1, { kind: "forward", step: 0, x: new Float32Array(12), rows: 1, labels: new Uint8Array(1) });
  }
  await until(() => h.replies.every((r) => r.some((m) => m.kind === "ready")));
  if (junk) {
    for (const k of [0, 1]) {
      for (const m of [null, 42, "forward", [], {}, { kind: "bogus" }, { kind: "wake", sent: "soon" }]) trash(k, m);
      trash(k, { kind: "wake", sent: Infinity });
      trash(k, h.init(k));
      trash(k, { kind: "rings", low: 3 }); // the messages transport has none
      trash(k, { kind: "batches", items: [], sent: stamp() });
    }
  }
  const tensors: number[] = [];
  const previous: { forward?: Forward; up?: Forward; message?: Message } = {};
  const before = (k: number, m: ToStage) => {
    if (!junk) return;
    if (k === 0 && m.kind === "forward") {
      const f = m;
      for (const step of [NaN, -1, 1.5, String(f.step), undefined]) trash(0, { ...f, step });
      for (const rows of [0, 1 << 30, f.rows + 1, "32"]) trash(0, { ...f, rows });
      for (const x of [f.x.subarray(1), Array.from(f.x), Float64Array.from(f.x), null]) trash(0, { ...f, x });
      const outOfRange = f.labels.slice();
      outOfRange[f.rows - 1] = 4; // the network has 4 classes
      for (const labels of [f.labels.subarray(1), Int32Array.from(f.labels), outOfRange, 255]) {
        trash(0, { ...f, labels });
      }
      trash(0, { ...f, sent: "now" });
      if (previous.forward) {
        trash(0, { ...previous.forward }); // a step already trained
        trash(0, { ...f, step: f.step + 5 }); // a step ahead of the next
      }
      if (previous.message) trash(0, { ...previous.message }); // answered already
      trash(0, { kind: "message", step: f.step + 100, gradient: null }); // a step never sent
      previous.forward = f;
    }
    if (k === 1 && m.kind === "forward") {
      trash(1, { ...m, x: m.x.subarray(1) });
      trash(1, { kind: "message", step: m.step, gradient: new Float32Array(m.rows * 12) }); // the last stage keeps none
      if (previous.up) trash(1, { ...previous.up });
      previous.up = m;
    }
    if (k === 0 && m.kind === "message") {
      // Stage 0 keeps this step now: every malformed message for it is dropped, and the real one still applies.
      const { gradient, factor } = m;
      assert.ok(gradient !== null && factor !== undefined, "the upper stage sends factors");
      const [units, width] = factor.shape;
      for (const g of [gradient.subarray(1), Float64Array.from(gradient), [...gradient]]) {
        trash(0, { ...m, gradient: g });
      }
      trash(0, { ...m, gradient: null }); // a factor without its left part
      for (const shape of [[units + 1, width], [units, width + 1], [0, width], [units], "12x12", null]) {
        trash(0, { ...m, factor: { ...factor, shape } });
      }
      for (const values of [factor.values.subarray(1), null]) trash(0, { ...m, factor: { ...factor, values } });
      for (const f of [null, 7]) trash(0, { ...m, factor: f });
      trash(0, { ...m, step: NaN });
      previous.message = m;
    }
  };
  const results: FromStage[] = [];
  let step = 0;
  for (const b of batches(data.train, 40, 32, 1)) {
    h.feed(step++, b);
    h.run(before);
    tensors.push(tf.memory().numTensors);
  }
  h.send(0, { kind: "collect" });
  h.send(1, { kind: "collect" });
  results.push(...h.replies[1]!.filter((m) => m.kind === "done"));
  const collected = h.replies.map((r) => r.find((m): m is Collected => m.kind === "collected")!);
  assert.deepEqual(h.replies.flat().filter((m) => m.kind === "error" || m.kind === "diverged"), [], "errors");
  return { collected, tensors: tensors.map((n) => n - tensors[0]!), results, warnings: h.warnings, sent };
}

Deno.test("a stage drops junk of every shape, counted and warned of once per problem, and trains as without it", async () => {
  const clean = await trainTwoStages(false);
  const dirty = await trainTwoStages(true);
  assert.deepEqual(clean.warnings, []);
  assert.deepEqual(clean.collected.map((c) => c.dropped), [0, 0]);
  // Every junk message is counted once, and nothing else is.
  assert.deepEqual(dirty.collected.map((c) => c.dropped), dirty.sent);
  assert.ok(dirty.sent[0]! > 100 && dirty.sent[1]! > 20, `junk sent ${dirty.sent}`);
  // The same weights, results and tensors as without the junk: none kept by a dropped message.
  dirty.collected.forEach((c, k) => assert.deepEqual(c.weights, clean.collected[k]!.weights, `stage ${k} weights`));
  assert.deepEqual(dirty.results, clean.results);
  assert.equal(clean.results.flatMap((m) => m.kind === "done" ? m.results : []).length, 8);
  assert.deepEqual(dirty.tensors, clean.tensors);
  for (const c of dirty.collected) assert.equal(collectedProblem(c, c.weights.map((w) => w.length)), undefined);
  // One line per kind of problem, each with the count so far.
  const line = /^stage (\d|\(not initialised\)): dropped (an? [\w ]+ message|a message): .+ \(\d+ dropped so far\)$/;
  for (const w of dirty.warnings) assert.match(w, line);
  assert.equal(new Set(dirty.warnings).size, dirty.warnings.length);
  assert.ok(dirty.warnings.length < dirty.sent[0]! + dirty.sent[1]!);
  const said = (re: RegExp) => assert.ok(dirty.warnings.some((w) => re.test(w)), `no warning ${re}`);
  said(/^stage \(not initialised\): dropped a forward message: it came before the stage's init was done \(1 /);
  said(/^stage \(not initialised\): dropped an init message: the stage has had one \(2 dropped so far\)$/);
  said(/^stage 1: dropped an init message: the stage has had one/);
  said(/^stage 0: dropped a forward message: step 0 already trained \(\d+ dropped so far\)$/);
  said(/^stage 0: dropped a forward message: step 6 is not the next one, 1 /);
  said(/^stage 0: dropped a forward message: step 0: label 4 at row 31 is outside 0\.\.3 /);
  said(/^stage 0: dropped a forward message: step 0: rows 0 is not an integer from 1 to 16777216 /);
  said(/^stage 0: dropped a gradient message: step 100 is not one this stage awaits/);
  said(/^stage 0: dropped a gradient message: step 0: gradient is Float32Array\(383\), not 32 rows of 12 floats/);
  said(/^stage 0: dropped a gradient message: step 0: factor shape \[12,13\] is not \[units >= 1, 12\] /);
  said(/^stage 1: dropped a gradient message: step 0 is not one this stage awaits/);
  said(/^stage 1: dropped a rings message: rings without the shared transport/);
  said(/^stage 1: dropped a message: its kind undefined is none a stage knows/);
  said(/^stage 0: dropped a wake message: its stamp "soon" is not a finite number/);
});

Deno.test("a stage builds its network in the registries its option gives; an error there goes back as an error", async () => {
  const asked: (readonly string[])[] = [];
  const posts: FromStage[][] = [[], []];
  const warnings: string[] = [];
  const whole = { ...twoStages().init(0), lo: 0, hi: spec.layers.length - 1 } as ToStage;
  const plugins = ["file:///nowhere/plugin.ts"]; // never imported: the option's registries stand in for it
  const good = stageLoop((m) => void posts[0]!.push(m), (_i, place) => new MessageLinks(place), {
    warn: (line) => void warnings.push(line),
    registries: (p) => {
      asked.push(p);
      return Promise.resolve(createRegistries());
    },
  });
  const bad = stageLoop((m) => void posts[1]!.push(m), (_i, place) => new MessageLinks(place), {
    warn: (line) => void warnings.push(line),
    registries: (p) => Promise.reject(new Error(`plugin ${p[0]} is not one this process was started with`)),
  });
  good({ ...whole, plugins } as ToStage);
  bad({ ...whole, plugins } as ToStage);
  await until(() => posts.every((p) => p.length > 0));
  assert.deepEqual(asked, [plugins]);
  assert.equal(posts[0]![0]!.kind, "ready");
  assert.deepEqual(posts[1], [
    { kind: "error", message: "plugin file:///nowhere/plugin.ts is not one this process was started with" },
  ]);
  // The stage that failed its init drops what comes after.
  bad({ kind: "collect" });
  assert.equal(posts[1]!.length, 1);
  assert.deepEqual(warnings, [
    "stage (not initialised): dropped a collect message: it came before the stage's init was done (1 dropped so far)",
  ]);
  // The one stage of the whole network trains a batch and reports it.
  const b = [...batches(data.train, 40, 8, 2)][0]!;
  good({ kind: "forward", step: 3, x: b.x, rows: b.size, labels: b.labels });
  good({ kind: "collect" });
  assert.deepEqual(posts[0]!.map((m) => m.kind), ["ready", "done", "consumed", "collected"]);
  assert.equal((posts[0]![3] as Collected).dropped, 0);
});

Deno.test("a label out of range is an error naming it, its row and the classes, never a row of zeros", () => {
  assert.throws(
    () => oneHotLabels(new Uint8Array([1, 0, 9, 12]), 10),
    /^RangeError: label 12 at row 3 is outside 0\.\.9$/,
  );
  assert.throws(() => oneHotLabels([0, -1], 2), /label -1 at row 1 is outside 0\.\.1/);
  assert.throws(() => oneHotLabels([0.5], 2), /label 0\.5 at row 0/);
});

Deno.test("rings and batches are taken only where the shared transport has them, whole and between epochs", () => {
  const ring = () => new SharedRing(3, 10, 4).buffer;
  const middle = { shared: true, idle: true, first: false, last: false };
  const all = {
    kind: "rings",
    input: ring(),
    output: ring(),
    messagesIn: ring(),
    messagesOut: ring(),
    low: 3,
  } as const;
  assert.equal(ringsRefusal(all, middle), undefined);
  assert.equal(
    ringsRefusal({ ...all, input: undefined, messagesOut: undefined }, { ...middle, first: true }),
    undefined,
  );
  const refused = (m: object, place = middle) => ringsRefusal({ ...all, ...m }, place)?.detail;
  assert.equal(refused({}, { ...middle, shared: false }), "rings without the shared transport");
  assert.equal(refused({}, { ...middle, idle: false }), "rings came while the stage awaited messages");
  assert.equal(refused({ input: undefined }), "input ring missing");
  assert.equal(refused({}, { ...middle, last: true }), "output ring where the stage has none");
  assert.equal(refused({ output: new ArrayBuffer(1024) }), "output ring is an ArrayBuffer");
  assert.match(refused({ messagesIn: new SharedArrayBuffer(1024) })!, /^messagesIn ring: /);
  assert.equal(refused({ low: -1 }), "low -1 is not a non-negative integer");
  assert.equal(batchesRefusal([{ kind: "forward" }], true), undefined);
  assert.match(batchesRefusal([], false)!.detail, /stage 0 of the shared transport only/);
  assert.match(batchesRefusal("items", true)!.detail, /not a list/);
  assert.match(batchesRefusal([{ kind: "forward" }, null], true)!.detail, /^item 1 is null, not a forward item$/);
});

Deno.test("the coordinator drops a consumed count, a result or a collected reply that does not fit what it fed", () => {
  assert.equal(consumedRefusal(1, 2), undefined);
  assert.equal(consumedRefusal(0, 0), undefined);
  for (const count of [3, -1, 1.5, NaN, "1", null]) assert.ok(consumedRefusal(count, 2), String(count));
  const inFlight = new Map([[7, 32], [8, 16]]);
  assert.equal(resultRefusal({ step: 7, loss: 1.2, correct: 30, rows: 32 }, inFlight), undefined);
  assert.equal(resultRefusal({ step: 8, loss: NaN, correct: 0, rows: 16 }, inFlight), undefined, "NaN: the policy's");
  const result = { step: 7, loss: 1.2, correct: 30, rows: 32 };
  for (
    const [bad, reason] of [
      [{ ...result, step: 9 }, "step not in flight"],
      [{ ...result, step: "7" }, "step not in flight"],
      [{ ...result, rows: 33 }, "rows differ"],
      [{ ...result, correct: 33 }, "bad correct count"],
      [{ ...result, correct: -1 }, "bad correct count"],
      [{ ...result, correct: 1.5 }, "bad correct count"],
      [{ ...result, loss: "1" }, "bad loss"],
      [null, "result not an object"],
    ] as const
  ) assert.equal(resultRefusal(bad, inFlight)?.reason, reason, JSON.stringify(bad));
  const c = {
    kind: "collected",
    weights: [new Float32Array(3), new Float32Array(2)],
    diagnostics: [{ layer: 0, type: "sg", synthesizerLoss: NaN }],
    busySeconds: 1,
    waitSeconds: 0,
    maxOutstanding: 1,
    skippedUpdates: 0,
    dropped: 0,
    times: { compute: 1, tensors: 0, copies: 0, messaging: 0, transit: 0, waiting: 0, other: 0 },
    batches: 2,
    posts: 4,
    bytes: 0,
    tensors: 10,
    memory: { heapUsed: 1, heapTotal: 2, external: 0, wasmHeap: 0 },
  } satisfies Collected;
  assert.equal(collectedProblem(c, [3, 2]), undefined);
  assert.equal(collectedProblem(c, [3, 2, 1]), "it sent 2 weight arrays, expected 3");
  assert.equal(collectedProblem(c, [3, 3]), "its weight array 1 is Float32Array(2), expected Float32Array(3)");
  const problem = (m: object) => collectedProblem({ ...c, ...m } as Collected, [3, 2]);
  assert.equal(
    problem({ weights: [new Float32Array(3), new Float64Array(2)] }),
    "its weight array 1 is Float64Array(2), expected Float32Array(2)",
  );
  assert.equal(problem({ weights: "none" }), `its weights are "none", not a list`);
  assert.equal(problem({ dropped: undefined }), "its dropped is undefined, not a number");
  assert.equal(problem({ times: { compute: 1 } }), "its times are not numbers");
  assert.equal(problem({ memory: null }), "its memory is not numbers");
  const wrong = [[{ layer: "0", type: "sg" }], [{ layer: 0, type: 1 }], [{ layer: 0, type: "sg", loss: "0.2" }]];
  for (const diagnostics of [...wrong, [{ layer: 0, values: { loss: 0.2 } }], [{ layer: 0 }], [null], {}]) {
    assert.equal(problem({ diagnostics }), "its diagnostics are not a list of layers, types and numbers");
  }
});
