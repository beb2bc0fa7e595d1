// Private to bench/simulate.ts (`--co-run`): a busy neighbour. It trains a copy of the profiled network on random
// batches, step after step, until told to stop, so that a profile taken meanwhile pays what a pipeline stage pays on
// a machine whose other cores are busy too (shared caches and memory bandwidth). It says "started" once it computes,
// and answers "stop" with its step count.
/// <reference lib="deno.worker" />
import type { NetworkSpec } from "../network/spec.ts";

let stop = false;
// Set before any import is loaded: a message that comes earlier would find no handler.
self.onmessage = async (
  e: MessageEvent<{ kind: "start"; spec: NetworkSpec; backend: string; rows: number } | "stop">,
) => {
  if (e.data === "stop") return void (stop = true);
  const { spec, backend, rows } = e.data;
  const [{ useBackend }, { tf }, { buildNetwork }] = await Promise.all([
    import("../backend.ts"),
    import("../deps.ts"),
    import("../network/build.ts"),
  ]);
  await useBackend(backend);
  const net = buildNetwork(spec);
  const x = tf.randomUniform([rows, ...spec.input]), y = tf.oneHot(tf.zeros([rows], "int32"), net.outputUnits);
  self.postMessage("started");
  let steps = 0;
  while (!stop) {
    net.trainStep(x, y as Parameters<typeof net.trainStep>[1]);
    steps++;
    if (steps % 4 === 0) await new Promise((r) => setTimeout(r, 0)); // let "stop" in
  }
  tf.dispose([x, y]);
  net.dispose();
  self.postMessage({ steps });
};
