/**
 * A pipeline stage in its own Worker, with its own TF.js instance on the coordinator's backend: it loads the
 * network's plugin modules into registries of its own, builds the whole network from the spec, sets it to the
 * coordinator's current weights (so every stage starts where the network is) and trains layers `lo..hi` (optimizer
 * state starts fresh in the Worker). The loop is `../stage/_loop.ts` (a stage process over NATS runs it too,
 * `nats/stage.ts`); here its neighbours are MessageChannel ports, and its links are those of the transport its init
 * names (`_transports.ts`: items in rings of shared memory, or in messages).
 *
 * @module
 */
import type { FromStage, ToStage } from "../protocol.ts";
import { workerInbox } from "../_worker_inbox.ts";

// Before any await: early messages are buffered, not dropped.
const { post, start: startHandling } = workerInbox<ToStage, FromStage>();

try {
  const { stageLoop } = await import("../stage/_loop.ts");
  const { messages } = await import("./_messages.ts");
  const { transportNamed } = await import("./_transports.ts");
  startHandling(stageLoop(post, (m, place, handle) => {
    for (const port of [m.down, m.up]) {
      if (port) port.onmessage = (e: MessageEvent<ToStage>) => handle(e.data);
    }
    return (transportNamed(m.transport) ?? messages).links(m, place);
  }));
} catch (error) {
  post({ kind: "error", message: `cannot start: ${(error as Error).message}` });
}
