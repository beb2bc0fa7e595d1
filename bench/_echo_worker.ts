// Private to bench/simulate.ts: answers each message with the time it arrived (ms since the epoch, as
// `parallel/stage/_clock.ts`'s stamp()), to measure how long a sleeping Worker takes to wake.
/// <reference lib="deno.worker" />
self.onmessage = () => self.postMessage(performance.timeOrigin + performance.now());
