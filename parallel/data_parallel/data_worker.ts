/**
 * A data-parallel replica in its own Worker, on the coordinator's backend: the whole network, built from the spec
 * (in registries of its own, with the network's plugin modules loaded) and set to the coordinator's current weights
 * (the same as every other replica); per step it computes the gradients of its shard of the batch, then applies the average the
 * coordinator sends back, so all replicas stay identical.
 *
 * @module
 */
import { workerInbox } from "../_worker_inbox.ts";
import { type Diverged, failureMessage } from "../protocol.ts";

/** Coordinator -> replica. */
export type ToReplica =
  | {
    kind: "init";
    spec: import("../../network/spec.ts").NetworkSpec;
    /** Plugin modules to load before building the network (`network.plugins`). */
    plugins: string[];
    seed: number;
    /** The coordinator's TF.js backend: the replica runs on it too. */
    backend: string;
    weights: Float32Array[];
    /** The network's training state (optimizers): every replica starts from it. Absent: fresh optimizers. */
    state?: import("../../optimizers/state.ts").TrainingState;
  }
  | { kind: "step"; x: Float32Array; rows: number; labels: Uint8Array }
  | { kind: "apply"; gradients: Float32Array }
  | { kind: "collect" };

/** Replica -> coordinator. */
export type FromReplica =
  | { kind: "ready"; backend: string }
  | { kind: "gradients"; gradients: Float32Array; loss: number; correct: number; rows: number }
  | {
    kind: "collected";
    weights: Float32Array[];
    /** The replica's training state, when the init had one. */
    state?: import("../../optimizers/state.ts").TrainingState;
    busySeconds: number;
  }
  | { kind: "error"; message: string }
  | Diverged;

// Before any await: early messages are buffered, not dropped.
const { post, start: startHandling } = workerInbox<ToReplica, FromReplica>();

try {
  const { tf } = await import("../../deps.ts");
  const { useBackend } = await import("../../backend.ts");
  const { batchTensors } = await import("../../datasets/batch_tensors.ts");
  const { pluginRegistries, workerNetwork } = await import("../_worker_network.ts");
  const { readWeights } = await import("../_weights.ts");
  const { setTrainingState, trainingStateOf } = await import("../_training_state.ts");
  const { shardGradients } = await import("../../network/shard_gradients.ts");
  let net: Awaited<ReturnType<typeof workerNetwork>> | null = null;
  let busy = 0;
  let stateful = false;
  // The buffer of the last average applied: the next gradients are written into it and sent back.
  let spare: Float32Array<ArrayBuffer> | null = null;
  const handle = (m: ToReplica) => {
    const start = performance.now();
    try {
      switch (m.kind) {
        case "init": {
          useBackend(m.backend).then(() => pluginRegistries(m.plugins)).then((registries) => {
            net = workerNetwork(m.spec, m.seed, registries, m.weights);
            if (m.state !== undefined) setTrainingState(net, m.state);
            stateful = m.state !== undefined;
            post({ kind: "ready", backend: tf.getBackend() });
          }).catch((error) => post(failureMessage(error)));
          return;
        }
        case "step": {
          const n = net!;
          const { x, labels } = batchTensors({ x: m.x, labels: m.labels, size: m.rows }, n.inputUnits, n.outputUnits);
          // Not returned from tf.tidy: it would walk the whole typed array looking for tensors.
          const out = { flat: new Float32Array(0), loss: 0, correct: 0 };
          tf.tidy(() => {
            const r = shardGradients(n, x, labels);
            const gradients = r.gradients.flat();
            const size = gradients.reduce((size, g) => size + g.size, 0);
            out.flat = spare?.length === size ? spare : new Float32Array(size);
            spare = null;
            let offset = 0;
            for (const g of gradients) {
              out.flat.set(g.dataSync() as Float32Array, offset);
              offset += g.size;
            }
            out.loss = r.loss.dataSync()[0]!;
            out.correct = r.correct.dataSync()[0]!;
          });
          tf.dispose([x, labels]);
          post({ kind: "gradients", gradients: out.flat, loss: out.loss, correct: out.correct, rows: m.rows }, [
            out.flat.buffer,
          ]);
          break;
        }
        case "apply": {
          const n = net!;
          // The tensors copy the values; the buffer is reused for the next step's gradients.
          spare = m.gradients as Float32Array<ArrayBuffer>;
          tf.tidy(() => {
            let offset = 0;
            n.applyGradients(n.layers.map((layer) =>
              layer.trainable.map((v) => {
                const g = tf.tensor(m.gradients.subarray(offset, offset + v.size), v.shape);
                offset += v.size;
                return g;
              })
            ));
          });
          break;
        }
        case "collect": {
          const weights = readWeights(net!.variables);
          const full = stateful ? trainingStateOf(net!) : undefined;
          const state = typeof full === "object" ? full : undefined;
          post(
            { kind: "collected", weights, ...(state === undefined ? {} : { state }), busySeconds: busy },
            [...weights, ...(state?.arrays.map((a) => a.values) ?? [])].map((w) => w.buffer),
          );
          busy = 0;
          return;
        }
      }
    } catch (error) {
      post(failureMessage(error));
    }
    busy += (performance.now() - start) / 1000;
  };
  startHandling(handle);
} catch (error) {
  post({ kind: "error", message: `cannot start: ${(error as Error).message}` });
}
