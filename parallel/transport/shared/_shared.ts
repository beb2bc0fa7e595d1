// Private: the shared transport (the default): stages in Workers that hand each other activations and messages in
// rings of slots in shared memory (`_ring.ts`), a "wake" posted only to a stage that said it was asleep; the
// coordinator sends stage 0 several batches per message. Its coordinator side is `SharedFeeder`, its stage side
// `SharedLinks`.
import { MessageLinks } from "../_messages.ts";
import { openWorkers } from "../_pool.ts";
import type { PipelineTransport } from "../_transport.ts";
import { SharedFeeder } from "./_feeder.ts";
import { SharedLinks } from "./_links.ts";

/** The shared transport. A sequence network's windows carry more than its rings hold: they go over `messages`. */
export const shared: PipelineTransport = {
  name: "shared",
  carriesWindows: false,
  open: ({ count, failure }) => Promise.resolve(openWorkers(count, failure)),
  feeder: (pool, network, stages, staleness) => new SharedFeeder(pool, network, stages, staleness),
  // A stage told of no doorbells (which the coordinator always sends) keeps to messages.
  links: (init, place) => init.bells ? new SharedLinks(place, init.bells) : new MessageLinks(place),
};
