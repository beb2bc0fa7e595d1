/**
 * Test loss and accuracy of a TF.js layers classifier (softmax output), in batches.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { batchTensors } from "../datasets/batch_tensors.ts";
import { batches, type Split } from "../datasets/dataset.ts";

/** Mean cross-entropy and accuracy of `model` on `split`. */
export function evaluateLayersModel(
  model: tf.LayersModel,
  split: Split,
  features: number,
  classes: number,
): { loss: number; accuracy: number } {
  let lossSum = 0, correct = 0;
  for (const b of batches(split, features, 1000, null)) {
    const [loss, right] = tf.tidy(() => {
      const { x, labels: y } = batchTensors(b, features, classes);
      const p = tf.clipByValue(model.predict(x) as tf.Tensor, 1e-7, 1);
      const loss = tf.neg(tf.sum(tf.mul(y, tf.log(p))));
      const right = tf.sum(tf.cast(tf.equal(tf.argMax(p, 1), tf.argMax(y, 1)), "int32"));
      return [loss, right];
    });
    lossSum += loss.dataSync()[0]!;
    correct += right.dataSync()[0]!;
    tf.dispose([loss, right]);
  }
  return { loss: lossSum / split.count, accuracy: correct / split.count };
}
