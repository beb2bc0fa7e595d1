/**
 * A pipeline stage in its own Worker, with its own TF.js instance on the coordinator's backend: it loads the
 * network's plugin modules into registries of its own, builds the whole network from the spec, sets it to the
 * coordinator's current weights (so every stage starts where the network is) and trains layers `lo..hi` (optimizer
 * state starts fresh in the Worker). It updates with its boundary interface's synthetic gradient at once, forwards
 * its output to the next stage, sends the message for the stage below, and runs at most `staleness` batches ahead
 * of the messages from above.
 *
 * @module
 */
import type { tf as TF } from "../deps.ts";
import { failureMessage, type Forward, type FromStage, type Message, type ToStage } from "./protocol.ts";
import { workerInbox } from "./_worker_inbox.ts";

// Before any await: early messages are buffered, not dropped.
const { post, start: startHandling } = workerInbox<ToStage, FromStage>();

try {
  const { tf } = await import("../deps.ts");
  const { useBackend } = await import("../backend.ts");
  const { workerNetwork } = await import("./_worker_network.ts");
  const { StageClock, stamp } = await import("./_stage_clock.ts");
  const { checkSlot, isShared, ringFor } = await import("./_ring.ts");
  const { copyValues, tensorFrom } = await import("./_values.ts");
  const { readWeights } = await import("./_weights.ts");
  const { canFactorMessage } = await import("./partition.ts");
  const { interfaceNumbers } = await import("../execution/strategy.ts");
  type Network = Awaited<ReturnType<typeof workerNetwork>>;
  type RangeResult = ReturnType<Network["trainRange"]>;
  type Kept = { trigger: TF.Tensor; labels: TF.Tensor2D };
  type Ring = ReturnType<typeof ringFor>;

  let stage: {
    net: Network;
    lo: number;
    hi: number;
    last: boolean;
    staleness: number;
    messageBelow: boolean;
    shared: boolean;
    fail?: string;
  } | null = null;
  const inputs: Forward[] = [];
  const messages: Message[] = [];
  const kept = new Map<number, Kept>();
  let collectPending = false;
  const ports: { down?: MessagePort; up?: MessagePort } = {};
  // The rings this stage writes into (shared transport): its outputs (up) and its messages (down).
  const rings: { up?: Ring; down?: Ring } = {};
  const clock = new StageClock();
  let outstanding = 0, maxOutstanding = 0, skipped = 0;

  // The values of `tensors` for one message: in `step`'s slot of a ring (shared) or in arrays of their own.
  const pack = (to: "up" | "down", step: number, tensors: TF.Tensor[]) => {
    const s = stage!;
    if (!s.shared) {
      const arrays = tensors.map((t) => t.dataSync().slice() as Float32Array<ArrayBuffer>);
      return { arrays, transfer: arrays.map((a) => a.buffer) };
    }
    const n = tensors.reduce((n, t) => n + t.size, 0);
    const ring = rings[to] = ringFor(rings[to], s.staleness + 2, n);
    const slot = ring.claim(step, n);
    let at = 0;
    const arrays = tensors.map((t) => {
      const part = slot.subarray(at, at += t.size);
      copyValues(t, part);
      return part;
    });
    ring.publish(step);
    return { arrays, transfer: [] };
  };

  // A tensor of the values that came in a message; a shared slot is checked once they are copied out.
  const received = (values: Float32Array, shape: number[], step: number, what: string) => {
    const t = tensorFrom(values, shape);
    if (isShared(values)) checkSlot(values, step, what);
    return t;
  };

  const forward = (m: Forward) => {
    const s = stage!;
    if (s.fail !== undefined && m.step >= 2) throw new Error(s.fail);
    clock.lap("other");
    const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(m.labels, "int32"), s.net.outputUnits).toFloat() as TF.Tensor2D);
    const x = received(m.x, [m.rows, ...s.net.layers[s.lo]!.inputShape], m.step, "input");
    clock.lap("tensors");
    const context = { labels, step: m.step };
    try {
      tf.tidy(() => {
        const lowest = s.net.layers[s.lo]!;
        const r = s.net.trainRange(s.lo, s.hi, x, context, {
          backwardLowest: s.messageBelow && canFactorMessage(lowest)
            ? (layer, cache, g) => {
              const { gradients, factors } = (layer as typeof lowest & {
                backwardFactored: (c: unknown, g: TF.Tensor) => { gradients: TF.Tensor[]; factors: TF.Tensor[] };
              }).backwardFactored(cache, g);
              return { gradients, messageParts: factors };
            }
            : undefined,
        });
        clock.lap("compute");
        // The message for the stage below goes first, so it is delivered before anything this batch causes.
        if (s.lo > 0) sendMessage(m.step, r);
        if (!s.last) {
          const { arrays: [out], transfer } = pack("up", m.step, [r.output]);
          kept.set(m.step, { trigger: tf.keep(r.output.clone()), labels: tf.keep(labels.clone()) });
          clock.lap("copies");
          const next: Forward = {
            kind: "forward",
            step: m.step,
            x: out!,
            rows: m.rows,
            labels: m.labels,
            sent: stamp(),
          };
          ports.up!.postMessage(next, transfer);
          clock.lap("messaging");
          outstanding++;
          maxOutstanding = Math.max(maxOutstanding, outstanding);
        } else {
          const loss = r.loss!.dataSync()[0]!, correct = r.correct!.dataSync()[0]!;
          clock.lap("copies");
          post({ kind: "done", step: m.step, loss, correct, rows: m.rows });
          clock.lap("messaging");
        }
      });
    } finally {
      s.net.release(m.step, s.lo, s.hi - 1); // the boundary's (hi) is released when its message has come
      tf.dispose([x, labels]);
    }
    clock.batches++;
    clock.lap("other");
    if (s.lo === 0) post({ kind: "consumed", step: m.step, outstanding });
    clock.lap("messaging");
  };

  // Sends dL/d(input of layer lo), or its two factors, to the stage below (null: this step skipped the update).
  const sendMessage = (step: number, r: RangeResult) => {
    const parts = (r.messageParts ?? [r.message ?? undefined]).filter((t) => t !== undefined);
    const { arrays: [gradient, factor], transfer } = pack("down", step, parts);
    const message: Message = { kind: "message", step, gradient: gradient ?? null, sent: 0 };
    if (factor) message.factor = { values: factor, shape: parts[1]!.shape as [number, number] };
    clock.lap("copies");
    message.sent = stamp();
    ports.down!.postMessage(message, transfer);
    clock.lap("messaging");
  };

  const message = (m: Message) => {
    const s = stage!;
    const k = kept.get(m.step);
    if (k === undefined) throw new Error(`message for step ${m.step} that this stage has not sent`);
    kept.delete(m.step);
    clock.lap("other");
    try {
      if (m.gradient) {
        tf.tidy(() => {
          const rows = k.trigger.shape[0]!;
          const shape = m.factor ? [rows, m.factor.shape[0]] : k.trigger.shape;
          const factor = m.factor ? tensorFrom(m.factor.values, m.factor.shape) : undefined;
          const left = received(m.gradient!, shape, m.step, "message");
          clock.lap("tensors");
          const g = factor ? tf.reshape(tf.matMul(left, factor), k.trigger.shape) : left;
          s.net.receiveMessage(s.hi, g, k.trigger, { labels: k.labels, step: m.step });
          clock.lap("compute");
        });
      }
    } finally {
      s.net.release(m.step, s.hi, s.hi);
      tf.dispose([k.trigger, k.labels]);
      outstanding--;
    }
  };

  const pump = () => {
    for (;;) {
      const m = messages.shift();
      if (m) {
        message(m);
        continue;
      }
      if (inputs.length > 0 && (stage!.last || outstanding <= stage!.staleness)) {
        forward(inputs.shift()!);
        continue;
      }
      break;
    }
    if (collectPending && outstanding === 0) {
      collectPending = false;
      collect();
    }
    clock.sleep();
  };

  const init = async (m: Extract<ToStage, { kind: "init" }>) => {
    await useBackend(m.backend);
    const net = await workerNetwork(m.spec, m.seed, m.plugins, m.weights);
    net.onNonFinite = m.onNonFinite ?? "error";
    stage = {
      net,
      lo: m.lo,
      hi: m.hi,
      last: m.hi === net.layers.length - 1,
      staleness: m.staleness,
      messageBelow: m.messageBelow,
      shared: m.transport === "shared",
      fail: m.fail,
    };
    ports.down = m.down;
    ports.up = m.up;
    for (const port of [m.down, m.up]) {
      if (port) port.onmessage = (e: MessageEvent<ToStage>) => handle(e.data);
    }
    post({ kind: "ready", backend: tf.getBackend() });
    clock.take();
    clock.sleep();
  };

  const handle = (m: ToStage) => {
    try {
      if (m.kind !== "init") clock.wake(m.kind === "collect" ? undefined : m.sent);
      switch (m.kind) {
        case "init":
          init(m).catch((error) => post(failureMessage(error)));
          return;
        case "forward":
          inputs.push(m);
          return pump();
        case "message":
          messages.push(m);
          return pump();
        case "collect":
          collectPending = true;
          return pump();
      }
    } catch (error) {
      post(failureMessage(error));
    }
  };

  // Replies to "collect" once every message this stage awaits has arrived.
  const collect = () => {
    const s = stage!;
    const layers = s.net.layers.slice(s.lo, s.hi + 1);
    const ifaces = s.net.interfaces.slice(s.lo, s.last ? s.hi : s.hi + 1);
    const variables = [
      ...layers.flatMap((l) => [...l.trainable, ...l.state]),
      ...ifaces.flatMap((i) => [...i.variables]),
    ];
    const weights = readWeights(variables);
    const { times, batches } = clock.take();
    const waitMs = times.transit + times.waiting;
    const busyMs = Object.values(times).reduce((sum, ms) => sum + ms, 0) - waitMs;
    post({
      kind: "collected",
      weights,
      diagnostics: interfaceNumbers(ifaces, s.lo),
      busySeconds: busyMs / 1000,
      waitSeconds: waitMs / 1000,
      maxOutstanding,
      skippedUpdates: s.net.skippedUpdates - skipped,
      times,
      batches,
      tensors: tf.memory().numTensors,
    }, weights.map((w) => w.buffer));
    skipped = s.net.skippedUpdates;
  };
  startHandling(handle);
} catch (error) {
  post({ kind: "error", message: `cannot start: ${(error as Error).message}` });
}
