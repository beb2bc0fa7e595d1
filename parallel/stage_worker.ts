/**
 * A pipeline stage in its own Worker, with its own TF.js instance on the coordinator's backend: it loads the
 * network's plugin modules into registries of its own, builds the whole network from the spec, sets it to the
 * coordinator's current weights (so every stage starts where the network is) and trains layers `lo..hi` (optimizer
 * state starts fresh in the Worker). It updates with its boundary interface's synthetic gradient at once, forwards
 * its output to the next stage, sends the message for the stage below, and runs at most `staleness` batches ahead
 * of the messages from above. How items come and go is the transport's (`_stage_links.ts`).
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
  const { StageClock } = await import("./_stage_clock.ts");
  const { MessageLinks, SharedLinks } = await import("./_stage_links.ts");
  const { tensorFrom } = await import("./_values.ts");
  const { oneHotLabels } = await import("../datasets/one_hot.ts");
  const { readWeights } = await import("./_weights.ts");
  const { canFactorMessage } = await import("./partition.ts");
  const { interfaceNumbers } = await import("../execution/strategy.ts");
  type Network = Awaited<ReturnType<typeof workerNetwork>>;
  type RangeResult = ReturnType<Network["trainRange"]>;
  type Kept = { trigger: TF.Tensor; labels: TF.Tensor2D };
  type Links = InstanceType<typeof MessageLinks> | InstanceType<typeof SharedLinks>;

  let stage: {
    net: Network;
    lo: number;
    hi: number;
    last: boolean;
    staleness: number;
    messageBelow: boolean;
    links: Links;
    fail?: string;
  } | null = null;
  const kept = new Map<number, Kept>();
  let collectPending = false;
  const clock = new StageClock();
  let outstanding = 0, maxOutstanding = 0, skipped = 0;
  const size = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1);

  const forward = (m: Forward) => {
    const s = stage!;
    if (s.fail !== undefined && m.step >= 2) throw new Error(s.fail);
    clock.lap("other");
    const labels = oneHotLabels(m.labels, s.net.outputUnits);
    const x = tensorFrom(m.x, [m.rows, ...s.net.layers[s.lo]!.inputShape]);
    s.links.takeInput(m);
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
          kept.set(m.step, { trigger: tf.keep(r.output.clone()), labels: tf.keep(labels.clone()) });
          outstanding++;
          maxOutstanding = Math.max(maxOutstanding, outstanding);
          s.links.forward(m.step, m.rows, m.labels, r.output);
        } else {
          const loss = r.loss!.dataSync()[0]!, correct = r.correct!.dataSync()[0]!;
          clock.lap("copies");
          s.links.result({ step: m.step, loss, correct, rows: m.rows });
        }
      });
    } finally {
      s.net.release(m.step, s.lo, s.hi - 1); // the boundary's (hi) is released when its message has come
      tf.dispose([x, labels]);
    }
    clock.batches++;
    clock.lap("other");
    if (s.lo === 0) s.links.consumed();
  };

  // Sends dL/d(input of layer lo), or its two factors, to the stage below (none: this step skipped the update).
  const sendMessage = (step: number, r: RangeResult) => {
    stage!.links.message(step, (r.messageParts ?? [r.message ?? undefined]).filter((t) => t !== undefined));
  };

  const message = (m: Message) => {
    const s = stage!;
    const k = kept.get(m.step);
    if (k === undefined) throw new Error(`message for step ${m.step} that this stage has not sent`);
    kept.delete(m.step);
    clock.lap("other");
    try {
      tf.tidy(() => {
        const rows = k.trigger.shape[0]!;
        const factor = m.factor ? tensorFrom(m.factor.values, m.factor.shape) : undefined;
        const left = m.gradient ? tensorFrom(m.gradient, m.factor ? [rows, m.factor.shape[0]] : k.trigger.shape) : null;
        s.links.takeMessage(m);
        clock.lap("tensors");
        if (left === null) return;
        const g = factor ? tf.reshape(tf.matMul(left, factor), k.trigger.shape) : left;
        s.net.receiveMessage(s.hi, g, k.trigger, { labels: k.labels, step: m.step });
        clock.lap("compute");
      });
    } finally {
      s.net.release(m.step, s.hi, s.hi);
      tf.dispose([k.trigger, k.labels]);
      outstanding--;
    }
  };

  // Whether the stage has something it may do now: a message, or an input it is not too far ahead for.
  const canWork = () => {
    const s = stage!;
    return s.links.nextMessage() !== undefined ||
      (s.links.nextInput() !== undefined && (s.last || outstanding <= s.staleness));
  };

  const pump = () => {
    const { links, last, staleness } = stage!;
    do {
      for (;;) {
        const m = links.nextMessage();
        if (m) {
          message(m);
          continue;
        }
        const f = links.nextInput();
        if (f && (last || outstanding <= staleness)) {
          forward(f);
          continue;
        }
        break;
      }
      if (collectPending && outstanding === 0) {
        collectPending = false;
        collect();
      }
    } while (!links.sleep(canWork));
    clock.sleep();
  };

  const init = async (m: Extract<ToStage, { kind: "init" }>) => {
    await useBackend(m.backend);
    const net = await workerNetwork(m.spec, m.seed, m.plugins, m.weights);
    net.onNonFinite = m.onNonFinite ?? "error";
    const place = {
      index: m.index,
      inputWidth: size(net.layers[m.lo]!.inputShape),
      outputWidth: size(net.layers[m.hi]!.outputShape),
      down: m.down,
      up: m.up,
      post,
      clock,
    };
    stage = {
      net,
      lo: m.lo,
      hi: m.hi,
      last: m.hi === net.layers.length - 1,
      staleness: m.staleness,
      messageBelow: m.messageBelow,
      links: m.transport === "shared" && m.bells ? new SharedLinks(place, m.bells) : new MessageLinks(place),
      fail: m.fail,
    };
    for (const port of [m.down, m.up]) {
      if (port) port.onmessage = (e: MessageEvent<ToStage>) => handle(e.data);
    }
    post({ kind: "ready", backend: tf.getBackend() });
    clock.take();
    clock.sleep();
  };

  const handle = (m: ToStage) => {
    try {
      if (m.kind === "init") {
        init(m).catch((error) => post(failureMessage(error)));
        return;
      }
      clock.wake(m.kind === "collect" || m.kind === "rings" ? undefined : m.sent);
      if (m.kind === "collect") collectPending = true;
      if (stage!.links.deliver(m)) pump();
      else clock.sleep();
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
    const { times, batches, posts } = clock.take();
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
      posts,
      tensors: tf.memory().numTensors,
    }, weights.map((w) => w.buffer));
    skipped = s.net.skippedUpdates;
  };
  startHandling(handle);
} catch (error) {
  post({ kind: "error", message: `cannot start: ${(error as Error).message}` });
}
