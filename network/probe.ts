/**
 * Measuring synthetic gradients against true ones, on a probe batch, for diagnostics only: nothing is updated
 * (no optimizer step, no synthesizer step, no running statistics), so measuring does not change training.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { DecouplingInterface } from "../interfaces/interface.ts";
import { cosine } from "./cosine.ts";
import type { InterfaceDiagnostics } from "./interface_diagnostics.ts";
import type { Network } from "./network.ts";
import { backprop } from "./backprop.ts";

/** What `truePass` gives: every layer's cache and output, and the true dL/dh at every hidden layer's output. */
export interface TruePass {
  /** `caches[j]`: layer j's cache of the probe-mode forward pass. */
  caches: unknown[];
  /** `triggers[j]`: layer j's output. */
  triggers: tf.Tensor[];
  /** `trueGradients[j]`: dL/d(output of layer j) of the batch-mean loss, for every hidden layer j. */
  trueGradients: tf.Tensor[];
}

/**
 * A forward pass in probe mode (no running statistics change) and plain backprop from the loss: the triggers and
 * their true gradients, updating nothing. Call it inside `tf.tidy`.
 */
export function truePass(network: Network, x: tf.Tensor, labels: tf.Tensor2D): TruePass {
  const caches: unknown[] = [];
  const triggers: tf.Tensor[] = [];
  let h = network.shapeInput(x);
  for (const layer of network.layers) {
    const r = layer.forward(h, "probe");
    caches.push(r.cache);
    triggers.push(r.output);
    h = r.output;
  }
  const trueGradients: tf.Tensor[] = [];
  const gradient = network.loss.compute(h as tf.Tensor2D, labels).gradient;
  backprop(network.layers, caches, 1, network.layers.length - 1, gradient, {
    needInput: () => true,
    took: (j, step) => void (trueGradients[j - 1] = step.passed!),
  });
  return { caches, triggers, trueGradients };
}

/**
 * Compares each synthesising interface's gradient with the true backprop gradient at its trigger.
 *
 * @param network The network (left unchanged).
 * @param x Probe inputs, flat [B, inputUnits] or [B, ...inputShape].
 * @param labels One-hot labels [B, outputUnits].
 * @returns One entry per decoupling interface, empty when none decouples: its `layer` and `type`, `cosine` (between
 *   the synthetic and the true dL/dh over the whole batch, in [-1, 1]), `normRatio` (||synthetic|| / ||true||) and
 *   `weightCosine` (between the bound layer's kernel gradients under the synthetic and under the true gradient: the
 *   direction of the update the layer actually takes, summed over the batch; for a layer without weights, such as
 *   pooling, the first layer with weights below it).
 */
export function probeGradients(
  network: Network,
  x: tf.Tensor,
  labels: tf.Tensor2D,
): (InterfaceDiagnostics & { cosine: number; normRatio: number; weightCosine: number })[] {
  const synthesizing = network.interfaces.flatMap((iface, layer) => iface.decouples ? [layer] : []);
  if (synthesizing.length === 0) return [];
  const values = tf.tidy(() => {
    const { caches, triggers, trueGradients } = truePass(network, x, labels);
    const context = { labels, step: network.steps };
    return tf.stack(synthesizing.map((i) => {
      const synthetic = (network.interfaces[i] as DecouplingInterface).synthesize(triggers[i]!, context);
      const truth = trueGradients[i]!;
      // The kernel gradient of the first layer with weights at or below the interface (through pooling, flatten).
      const kernelGradient = (g: tf.Tensor) => {
        let j = i;
        for (; j > 0 && network.layers[j]!.trainable.length === 0; j--) {
          g = network.layers[j]!.backward(caches[j], g, true).inputGradient!;
        }
        return network.layers[j]!.backward(caches[j], g, false).gradients[0] ?? tf.zeros([1]);
      };
      return tf.stack([
        cosine(synthetic, truth),
        tf.div(tf.norm(synthetic), tf.maximum(tf.norm(truth), 1e-30)),
        cosine(kernelGradient(synthetic), kernelGradient(truth)),
      ]);
    }));
  });
  const data = values.dataSync();
  values.dispose();
  return synthesizing.map((layer, k) => ({
    layer,
    type: network.interfaces[layer]!.type,
    cosine: data[3 * k]!,
    normRatio: data[3 * k + 1]!,
    weightCosine: data[3 * k + 2]!,
  }));
}
