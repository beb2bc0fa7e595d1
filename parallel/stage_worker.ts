/**
 * A pipeline stage in its own Worker, with its own TF.js instance on the coordinator's backend: it loads the
 * network's plugin modules into registries of its own, builds the whole network from the spec, sets it to the
 * coordinator's current weights (so every stage starts where the network is) and trains layers `lo..hi` (optimizer
 * state starts fresh in the Worker). The loop is `_stage_loop.ts` (a stage process over NATS runs it too); here its
 * neighbours are MessageChannel ports, and items travel as messages or in rings of shared memory
 * (`_stage_links.ts`).
 *
 * @module
 */
import type { FromStage, ToStage } from "./protocol.ts";
import { workerInbox } from "./_worker_inbox.ts";

// Before any await: early messages are buffered, not dropped.
const { post, start: startHandling } = workerInbox<ToStage, FromStage>();

try {
  const { stageLoop } = await import("./_stage_loop.ts");
  const { MessageLinks, SharedLinks } = await import("./_stage_links.ts");
  startHandling(stageLoop(post, (m, place, handle) => {
    for (const port of [m.down, m.up]) {
      if (port) port.onmessage = (e: MessageEvent<ToStage>) => handle(e.data);
    }
    return m.transport === "shared" && m.bells ? new SharedLinks(place, m.bells) : new MessageLinks(place);
  }));
} catch (error) {
  post({ kind: "error", message: `cannot start: ${(error as Error).message}` });
}
