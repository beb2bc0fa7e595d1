// Private: a pipeline stage's loop, the same in a Worker (`../transport/stage_worker.ts`) and in a stage process over
// NATS (`../transport/nats/stage.ts`): on "init" it makes the stage (`_stage.ts`: the whole network from the spec on
// the coordinator's backend and weights), then trains layers `lo..hi`, one module step per batch (`_module_step.ts`):
// it updates with its boundary interface's synthetic gradient at once, forwards its output to the next stage, sends
// the message for the stage below, and runs at most `staleness` batches ahead of the messages from above. How items
// come and go is the transport's (`StageLinks`, made by `links`). What it is handed is checked first
// (`_validate.ts`, and the transport's own messages by its links): a message that is malformed, out of order or
// unexpected is dropped, counted (the "collected" reply says how many since the last) and warned of once per kind of
// problem.
import { tf } from "../../deps.ts";
import { batchTensors } from "../../datasets/batch_tensors.ts";
import { interfaceDiagnostics } from "../../network/interface_diagnostics.ts";
import type { Registries } from "../../network/registries.ts";
import { stateDiagnostics } from "../../recurrent/state_diagnostics.ts";
import {
  failureMessage,
  type Forward,
  type FromStage,
  type Message,
  type StageInit,
  type ToStage,
} from "../protocol.ts";
import { described, Drops, type Refusal } from "../_refusals.ts";
import { ownValues, tensorFrom } from "../_values.ts";
import { readWeights } from "../_weights.ts";
import { ownedState, stageOwns, trainingStateOf } from "../_training_state.ts";
import { StageClock } from "./_clock.ts";
import type { MakeLinks } from "./_links.ts";
import { type Kept, messageGradient, messageParts, moduleStep } from "./_module_step.ts";
import { makeStage, type Stage, stageMemory } from "./_stage.ts";
import { envelopeRefusal, forwardRefusal, messageRefusal } from "./_validate.ts";
import { stageVariables } from "./_variables.ts";
import { beginWindows, endWindows, recurrentLayers, windowTargets } from "./_windows.ts";

export type { MakeLinks } from "./_links.ts";
/** The coordinator's "init". */
export type { StageInit };

/** Options of `stageLoop`. */
export interface StageLoopOptions {
  /**
   * Where the stage's warnings go: a line the first time it drops a message for each kind of problem, e.g.
   * `stage 1: dropped a forward message: step 5 already trained (3 dropped so far)`. @default {console.warn}
   */
  warn?: (line: string) => void;
  /**
   * The registries to build the network in, given the plugin modules the init names (a stage process imports only
   * the plugins its own command line names): the callback checks the list and may throw, which fails the init (the
   * coordinator gets an "error"). @default {fresh registries with the init's plugins loaded}
   */
  registries?: (plugins: readonly string[]) => Promise<Registries>;
}

/**
 * A stage that posts to the coordinator with `post` and reaches its neighbours through the links `links` makes;
 * returns the handler of every message that comes to it, which never throws: a message that fails its checks is
 * dropped (and warned of through `options.warn`), and an error while acting on one is posted as an "error".
 */
export function stageLoop(
  post: (m: FromStage, buffers?: ArrayBufferLike[]) => void,
  links: MakeLinks,
  options: StageLoopOptions = {},
): (m: ToStage) => void {
  let stage: Stage | null = null;
  let initialised = false;
  const kept = new Map<number, Kept>();
  // The step of the last forward item this stage took (undefined: none yet).
  let lastStep: number | undefined;
  let collectPending = false;
  const clock = new StageClock();
  const drops = new Drops(options.warn ?? console.warn);
  let outstanding = 0, maxOutstanding = 0, skipped = 0;

  const drop = (what: string, refusal: Refusal) =>
    drops.drop(stage === null ? "stage (not initialised)" : `stage ${stage.index}`, what, refusal);

  const forward = (m: Forward) => {
    const s = stage!;
    lastStep = m.step;
    if (s.fail !== undefined && m.step >= 2) throw new Error(s.fail);
    clock.lap("other");
    const shape = s.net.layers[s.lo]!.inputShape;
    const w = m.window;
    let x: tf.Tensor, labels: tf.Tensor2D, mask: tf.Tensor1D | undefined;
    if (w) {
      x = tensorFrom(m.x, [m.rows, ...shape]);
      ({ targets: labels, mask } = windowTargets(m.labels, s.classes));
    } else ({ x, labels } = batchTensors({ x: ownValues(m.x), labels: m.labels, size: m.rows }, shape, s.classes));
    const extra = w ? [mask!, ...beginWindows(s.net, s.lo, s.hi, m.step, w)] : [];
    s.links.takeInput(m);
    clock.lap("tensors");
    const context = { labels, step: m.step };
    try {
      tf.tidy(() => {
        const r = moduleStep(s.net, s.lo, s.hi, x, context, {
          factor: s.messageBelow,
          ...(w ? { window: { mask: mask!, sequences: w.sequences } } : {}),
        });
        clock.lap("compute");
        // The message for the stage below goes first, so it is delivered before anything this batch causes.
        if (s.lo > 0) sendMessage(m.step, r);
        if (!s.last) {
          kept.set(m.step, { trigger: tf.keep(r.output.clone()), labels: tf.keep(labels.clone()) });
          outstanding++;
          maxOutstanding = Math.max(maxOutstanding, outstanding);
          s.links.forward(m.step, m.rows, m.labels, r.output, w);
        } else {
          const loss = r.loss!.dataSync()[0]!, correct = r.correct!.dataSync()[0]!;
          const window = w ? { bits: r.bits!.dataSync()[0]!, counted: r.counted!.dataSync()[0]! } : {};
          clock.lap("copies");
          s.links.result({ step: m.step, loss, correct, rows: m.rows, ...window });
        }
      });
      if (w) endWindows(s.net, s.lo, s.hi);
    } catch (error) {
      if (w) { for (const r of recurrentLayers(s.net, s.lo, s.hi)) r.resetState(); }
      throw error;
    } finally {
      s.net.release(m.step, s.lo, s.hi - 1); // the boundary's (hi) is released when its message has come
      tf.dispose([x, labels, ...extra]);
    }
    clock.batches++;
    clock.lap("other");
    if (s.lo === 0) s.links.consumed();
  };

  // Sends dL/d(input of layer lo), or its two factors, to the stage below (none: this step skipped the update).
  const sendMessage = (step: number, r: ReturnType<typeof moduleStep>) => {
    stage!.links.message(step, messageParts(r));
  };

  // `k`: what the stage kept of the step the message is for.
  const message = (m: Message, k: Kept) => {
    const s = stage!;
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
        const g = messageGradient(left, factor, k.trigger.shape);
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

  // Does what the stage may do now; an item that fails its checks is taken and dropped.
  const pump = () => {
    const { links, last, staleness, inputWidth, outputWidth, classes } = stage!;
    do {
      for (;;) {
        const m = links.nextMessage();
        if (m) {
          const k = kept.get(m.step);
          const refusal = messageRefusal(m, k?.trigger.shape[0], outputWidth);
          if (refusal === undefined) message(m, k!);
          else {
            links.takeMessage(m);
            drop(described("message"), refusal);
          }
          continue;
        }
        const f = links.nextInput();
        if (f && (last || outstanding <= staleness)) {
          const refusal = forwardRefusal(
            f,
            lastStep,
            inputWidth,
            classes,
            recurrentLayers(stage!.net, stage!.lo, stage!.hi).length > 0,
          );
          if (refusal === undefined) forward(f);
          else {
            links.takeInput(f);
            drop(described("forward"), refusal);
          }
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

  const init = async (m: StageInit) => {
    stage = await makeStage(m, post, clock, links, handle, options.registries);
    post({ kind: "ready", backend: tf.getBackend() });
    clock.take();
    clock.sleep();
  };

  const handle = (m: ToStage) => {
    try {
      const refusal = envelopeRefusal(m);
      if (refusal !== undefined) return drop(described((m as { kind?: unknown } | null)?.kind), refusal);
      if (m.kind === "init") {
        if (initialised) return drop("an init message", { reason: "second init", detail: "the stage has had one" });
        initialised = true;
        init(m).catch((error) => post(failureMessage(error)));
        return;
      }
      if (stage === null) {
        return drop(described(m.kind), { reason: "before init", detail: "it came before the stage's init was done" });
      }
      const late = stage.links.refusal(m, { idle: kept.size === 0, first: stage.lo === 0, last: stage.last });
      if (late !== undefined) return drop(described(m.kind), late);
      clock.wake(m.kind === "collect" || m.kind === "rings" ? undefined : m.sent);
      if (m.kind === "collect") collectPending = true;
      if (stage.links.deliver(m)) pump();
      else clock.sleep();
    } catch (error) {
      post(failureMessage(error));
    }
  };

  // Replies to "collect" once every message this stage awaits has arrived.
  const collect = () => {
    const s = stage!;
    const ifaces = s.net.interfaces.slice(s.lo, s.last ? s.hi : s.hi + 1);
    const weights = readWeights(stageVariables(s.net, s.lo, s.hi));
    const full = s.stateful ? trainingStateOf(s.net) : undefined;
    const state = typeof full === "object" ? ownedState(full, stageOwns(s.net, s.lo, s.hi)) : undefined;
    const { times, batches, posts, bytes } = clock.take();
    const waitMs = times.transit + times.waiting;
    const busyMs = Object.values(times).reduce((sum, ms) => sum + ms, 0) - waitMs;
    post({
      kind: "collected",
      weights,
      ...(state === undefined ? {} : { state }),
      diagnostics: [
        ...interfaceDiagnostics(ifaces, s.lo),
        ...stateDiagnostics({ layers: s.net.layers.slice(s.lo, s.hi + 1) }, s.lo),
      ],
      busySeconds: busyMs / 1000,
      waitSeconds: waitMs / 1000,
      maxOutstanding,
      skippedUpdates: s.net.skippedUpdates - skipped,
      dropped: drops.take(),
      times,
      batches,
      posts,
      bytes,
      tensors: tf.memory().numTensors,
      memory: stageMemory(),
    }, [...weights, ...(state?.arrays.map((a) => a.values) ?? [])].map((w) => w.buffer));
    skipped = s.net.skippedUpdates;
  };
  return handle;
}
