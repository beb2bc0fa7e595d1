// Private to bench/simulate.ts: what the simulator's links cost, measured here (a sleeping Worker's wake-up, a NATS
// link), and busy neighbours to measure under (`--co-run`).
import type { NetworkSpec } from "../network/spec.ts";
import { median } from "./_stats.ts";

// Runs `work` while `count` Workers train a copy of the network (`bench/_twin_worker.ts`), so that what it measures
// pays what a stage pays when the machine's other cores are busy too.
export async function withBusyNeighbours<T>(
  count: number,
  start: { spec: NetworkSpec; backend: string; rows: number },
  work: () => T | Promise<T>,
): Promise<T> {
  const twins = Array.from(
    { length: count },
    () => new Worker(new URL("./_twin_worker.ts", import.meta.url).href, { type: "module" }),
  );
  const said = (w: Worker) => new Promise<unknown>((r) => w.onmessage = (e) => r(e.data));
  try {
    await Promise.all(twins.map((w) => {
      const started = said(w);
      w.postMessage({ kind: "start", ...start });
      return started;
    }));
    return await work();
  } finally {
    await Promise.all(twins.map((w) => {
      const stopped = said(w);
      w.postMessage("stop");
      return stopped.then(() => w.terminate());
    }));
  }
}

// Over NATS (`--nats URL`) a link is measured, not given: a message carrying `bytes` of Float32Array, sent every 3 ms
// as a stage sends one (encode, seal and publish in pieces) from one connection to another of this process through
// the server, and taken as a stage takes one (opened, pieces joined, decoded). The median one-way time is the link's
// latency (it includes waking the receiver, so the model's wake-up is 0); the item's overhead is the sender's encode
// and publish plus the receiver's decode, all charged to the sender (in 2 stages each sends and takes one item per
// batch each way). `security`: "encrypted" (the default of a run), "authenticated" (`--no-encrypt`), or "plain"
// (the body unsealed, as before run keys: for comparison only; no run sends so). With the server's `pid`
// (`--server-pid`, Linux), its CPU time over the test, per message, is measured too.
export async function natsLink(
  url: string,
  bytes: number,
  pid?: string,
  count = 100,
  gapMs = 3,
  security: "encrypted" | "authenticated" | "plain" = "encrypted",
) {
  const { connectNats } = await import("../parallel/transport/nats/_client.ts");
  const { SealedLink } = await import("../parallel/transport/nats/_link.ts");
  const { RunKeys, randomHex, encodeBody, decodeBody } = await import("../parallel/transport/nats/_wire.ts");
  const { newRunKey, parseRunKey } = await import("../parallel/transport/nats/_run_key.ts");
  const cpuMs = async () => {
    if (pid === undefined) return 0;
    const fields = (await Deno.readTextFile(`/proc/${Number(pid)}/stat`)).split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 1/100 s
  };
  const a = await connectNats(url, "dni-bench-a"), b = await connectNats(url, "dni-bench-b");
  const keys = new RunKeys(parseRunKey(newRunKey(), "bench"), "bench"), session = randomHex(16);
  const link = (nc: typeof a, sender: number) =>
    new SealedLink(nc, keys, { session, sender, encrypt: security === "encrypted", who: "bench", warn: console.warn });
  const sender = link(a, 1), receiver = link(b, 0);
  const arrivals: number[] = [], decodes: number[] = [];
  const arrived = () => arrivals.push(performance.now());
  if (security === "plain") {
    b.subscribe("dni.bench.ping", {
      callback: (_, msg) => {
        const t = performance.now();
        decodeBody(msg.data);
        decodes.push(performance.now() - t);
        arrived();
      },
    });
  } else {
    // Opening is asynchronous: its time is in the one-way latency; the decode alone is timed here.
    receiver.listen("dni.bench.ping", () => true, () => {
      decodes.push(0);
      arrived();
    });
  }
  await b.flush();
  const floats = new Float32Array(bytes / 4).fill(0.5), oneWay: number[] = [], posts: number[] = [];
  const encodes: number[] = [];
  let serverMs = 0;
  try {
    for (let i = 0; i < count + 5; i++) {
      if (i === 5) serverMs = -(await cpuMs());
      await new Promise((r) => setTimeout(r, gapMs));
      const t = performance.now();
      const m = { kind: "forward", step: i, values: floats };
      let encoded: number;
      if (security === "plain") {
        const body = encodeBody(m);
        encoded = performance.now() - t;
        a.publish("dni.bench.ping", body);
      } else {
        sender.send("dni.bench.ping", m);
        encoded = performance.now() - t;
      }
      const posted = performance.now() - t;
      while (arrivals.length <= i) await new Promise((r) => setTimeout(r, 0));
      if (i >= 5) oneWay.push(arrivals[i]! - t), posts.push(posted + decodes[i]!), encodes.push(encoded);
    }
    serverMs += await cpuMs();
  } finally {
    await a.close();
    await b.close();
  }
  return {
    latencyMs: median(oneWay),
    postMs: median(posts),
    encodeMs: median(encodes),
    decodeMs: median(decodes.slice(5)),
    serverMs: serverMs / count,
  };
}

// How long a sleeping Worker takes to start on a message posted to it (median one-way, ms), and what posting costs
// the sender: `count` pings spaced `gapMs` apart, so the Worker sleeps between them as a pipeline stage does.
export async function workerWake(count = 100, gapMs = 3): Promise<{ wakeMs: number; postMs: number }> {
  const worker = new Worker(new URL("./_echo_worker.ts", import.meta.url).href, { type: "module" });
  const wakes: number[] = [], posts: number[] = [];
  try {
    for (let i = 0; i < count + 5; i++) {
      await new Promise((r) => setTimeout(r, gapMs));
      const arrived = new Promise<number>((r) => worker.onmessage = (e: MessageEvent<number>) => r(e.data));
      const t = performance.now(), sent = performance.timeOrigin + t;
      worker.postMessage(i);
      const posted = performance.now() - t;
      const at = await arrived;
      if (i >= 5) wakes.push(at - sent), posts.push(posted);
    }
  } finally {
    worker.terminate();
  }
  return { wakeMs: median(wakes), postMs: median(posts) };
}
