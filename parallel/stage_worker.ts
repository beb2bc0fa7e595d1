/**
 * A pipeline stage in its own Worker, with its own TF.js instance on the coordinator's backend: it loads the
 * network's plugin modules into registries of its own, builds the whole network from the spec, sets it to the
 * coordinator's current weights (so every stage starts where the network is) and trains layers `lo..hi` (optimizer
 * state starts fresh in the Worker).
 * It updates with its boundary interface's synthetic gradient at once, forwards its output to the next stage,
 * sends the message for the stage below, and runs at most `staleness` batches ahead of the messages from above.
 *
 * @module
 */
import type { tf as TF } from "../deps.ts";
import { failureMessage, type FromStage, type Message, type ToStage } from "./protocol.ts";
import { workerInbox } from "./_worker_inbox.ts";

// Before any await: early messages are buffered, not dropped.
const { post, start: startHandling } = workerInbox<ToStage, FromStage>();

try {
  const { tf } = await import("../deps.ts");
  const { useBackend } = await import("../backend.ts");
  const { workerNetwork } = await import("./_worker_network.ts");
  const { readWeights } = await import("./_weights.ts");
  const { canFactorMessage } = await import("./partition.ts");
  const { interfaceNumbers } = await import("../execution/strategy.ts");
  type Network = Awaited<ReturnType<typeof workerNetwork>>;
  type RangeResult = ReturnType<Network["trainRange"]>;
  type Kept = { trigger: TF.Tensor; labels: TF.Tensor2D };

  let stage: {
    net: Network;
    lo: number;
    hi: number;
    last: boolean;
    staleness: number;
    messageBelow: boolean;
    fail?: string;
  } | null = null;
  const inputs: Extract<ToStage, { kind: "forward" }>[] = [];
  const messages: Message[] = [];
  const kept = new Map<number, Kept>();
  let collectPending = false;
  const ports: { down?: MessagePort; up?: MessagePort } = {};
  let outstanding = 0, maxOutstanding = 0, busy = 0, wait = 0, idleSince = performance.now(), skipped = 0;

  const forward = (m: Extract<ToStage, { kind: "forward" }>) => {
    const s = stage!;
    if (s.fail !== undefined && m.step >= 2) throw new Error(s.fail);
    const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(m.labels, "int32"), s.net.outputUnits).toFloat() as TF.Tensor2D);
    const x = tf.tensor(m.x, [m.rows, ...s.net.layers[s.lo]!.inputShape]);
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
        // The message for the stage below goes first, so it is delivered before anything this batch causes.
        if (s.lo > 0) sendMessage(m.step, r);
        if (!s.last) {
          const out = r.output.dataSync().slice() as Float32Array;
          kept.set(m.step, { trigger: tf.keep(r.output.clone()), labels: tf.keep(labels.clone()) });
          ports.up!.postMessage({ kind: "forward", step: m.step, x: out, rows: m.rows, labels: m.labels }, [
            out.buffer as ArrayBuffer,
          ]);
          outstanding++;
          maxOutstanding = Math.max(maxOutstanding, outstanding);
        } else {
          const loss = r.loss!.dataSync()[0]!, correct = r.correct!.dataSync()[0]!;
          post({ kind: "done", step: m.step, loss, correct, rows: m.rows });
        }
      });
    } finally {
      s.net.release(m.step, s.lo, s.hi - 1); // the boundary's (hi) is released when its message has come
      tf.dispose([x, labels]);
    }
    if (s.lo === 0) post({ kind: "consumed", step: m.step, outstanding });
  };

  // Sends dL/d(input of layer lo), or its two factors, to the stage below (null: this step skipped the update).
  const sendMessage = (step: number, r: RangeResult) => {
    const [left, right] = r.messageParts ?? [r.message ?? undefined];
    const gradient = left ? left.dataSync().slice() as Float32Array : null;
    const message: Message = { kind: "message", step, gradient };
    const buffers: ArrayBuffer[] = gradient ? [gradient.buffer as ArrayBuffer] : [];
    if (right) {
      message.factor = { values: right.dataSync().slice() as Float32Array, shape: right.shape as [number, number] };
      buffers.push(message.factor.values.buffer as ArrayBuffer);
    }
    ports.down!.postMessage(message, buffers);
  };

  const message = (m: Message) => {
    const s = stage!;
    const k = kept.get(m.step);
    if (k === undefined) throw new Error(`message for step ${m.step} that this stage has not sent`);
    kept.delete(m.step);
    try {
      if (m.gradient) {
        tf.tidy(() => {
          const rows = k.trigger.shape[0]!;
          const g = m.factor
            ? tf.reshape(
              tf.matMul(
                tf.tensor2d(m.gradient!, [rows, m.factor.shape[0]]),
                tf.tensor2d(m.factor.values, m.factor.shape),
              ),
              k.trigger.shape,
            )
            : tf.tensor(m.gradient!, k.trigger.shape);
          s.net.receiveMessage(s.hi, g, k.trigger, { labels: k.labels, step: m.step });
        });
      }
    } finally {
      s.net.release(m.step, s.hi, s.hi);
      tf.dispose([k.trigger, k.labels]);
      outstanding--;
    }
  };

  const pump = () => {
    const start = performance.now();
    wait += (start - idleSince) / 1000;
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
    idleSince = performance.now();
    busy += (idleSince - start) / 1000;
    if (collectPending && outstanding === 0) {
      collectPending = false;
      collect();
    }
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
      fail: m.fail,
    };
    ports.down = m.down;
    ports.up = m.up;
    for (const port of [m.down, m.up]) {
      if (port) port.onmessage = (e: MessageEvent<ToStage>) => handle(e.data);
    }
    post({ kind: "ready", backend: tf.getBackend() });
    idleSince = performance.now();
  };

  const handle = (m: ToStage) => {
    try {
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
    post({
      kind: "collected",
      weights,
      diagnostics: interfaceNumbers(ifaces, s.lo),
      busySeconds: busy,
      waitSeconds: wait,
      maxOutstanding,
      skippedUpdates: s.net.skippedUpdates - skipped,
    }, weights.map((w) => w.buffer));
    skipped = s.net.skippedUpdates;
    busy = 0;
    wait = 0;
  };
  startHandling(handle);
} catch (error) {
  post({ kind: "error", message: `cannot start: ${(error as Error).message}` });
}
