// Private: the pipeline's transports by name (its `transport` option): each one object that makes both sides.
import type { Transport } from "../profile.ts";
import { messages } from "./_messages.ts";
import { nats } from "./nats/_nats.ts";
import { shared } from "./shared/_shared.ts";
import type { PipelineTransport } from "./_transport.ts";

/** Every transport, by name. */
export const TRANSPORTS: Readonly<Record<Transport, PipelineTransport>> = { shared, messages, nats };

/** The transport named `name`, if there is one (an own key: no prototype's). */
export function transportNamed(name: unknown): PipelineTransport | undefined {
  return typeof name === "string" && Object.hasOwn(TRANSPORTS, name) ? TRANSPORTS[name as Transport] : undefined;
}
