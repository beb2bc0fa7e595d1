// Private: the NATS transport: each stage a process of its own, on any host (`stage.ts`, `deno task stage`), reached
// over a NATS server, every item a sealed message of its own (`_link.ts`) on the run's subjects. The coordinator
// side (`_pool.ts`: claiming, beats, the stage processes it may start) and the NATS client are loaded only for a run
// over NATS; the stage side is the messages transport's links, their ports NATS subjects.
import type { FromStage, ToStage } from "../../protocol.ts";
import { MessageFeeder, MessageLinks } from "../_messages.ts";
import type { PipelineTransport } from "../_transport.ts";

/** The NATS transport. */
export const nats: PipelineTransport = {
  name: "nats",
  carriesWindows: true,
  async open({ network, count, failure, backend, nats }) {
    const { NatsPool } = await import("./_pool.ts");
    const { pluginIds } = await import("./_stage_plugins.ts");
    const ids = await pluginIds(network.plugins);
    const pool = await NatsPool.open<ToStage, FromStage>(nats!, count, failure, {
      plugins: network.plugins,
      ffi: backend === "native",
    });
    return { pool, release: () => {}, pluginIds: ids };
  },
  feeder: (pool, _network, _stages, staleness) => new MessageFeeder(pool, staleness + 2),
  links: (_init, place) => new MessageLinks(place),
};
