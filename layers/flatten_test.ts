import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { Random } from "../random.ts";
import { SpecError } from "../errors.ts";
import { Flatten } from "./flatten.ts";
import type { Shape } from "./layer.ts";

const context = (inputShape: Shape) => ({ inputShape, path: "layers[4]", random: new Random(0) });

Deno.test("Flatten reshapes [B, ...shape] to [B, size] in row-major order, and back in backward", () => {
  for (const shape of [[7, 7, 32], [5], [2, 3]]) {
    const layer = new Flatten({ type: "flatten" }, context(shape));
    const size = shape.reduce((a, b) => a * b, 1);
    assert.deepEqual(layer.outputShape, [size]);
    const x = tf.randomNormal([3, ...shape], 0, 1, "float32", 1);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const { output, cache } = layer.forward(x, "train");
      assert.deepEqual(output.shape, [3, size]);
      assert.deepEqual(output.dataSync(), x.dataSync());
      const dy = tf.randomNormal([3, size], 0, 1, "float32", 2);
      const { inputGradient, gradients } = layer.backward(cache, dy, true);
      assert.deepEqual(inputGradient!.shape, [3, ...shape]);
      assert.deepEqual(inputGradient!.dataSync(), dy.dataSync());
      assert.deepEqual(gradients, []);
      assert.deepEqual(layer.backward(cache, dy, false), { gradients: [] });
    });
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
  }
});

Deno.test("Flatten: getConfig() round-trips, toString() shows the shapes, unknown fields are a SpecError", () => {
  const layer = new Flatten({ type: "flatten" }, context([7, 7, 32]));
  assert.deepEqual(new Flatten(layer.getConfig(), context([7, 7, 32])).getConfig(), { type: "flatten" });
  assert.equal(layer.toString(), "flatten([7, 7, 32] -> [1568])");
  assert.equal(layer.multiplyAdds, 0);
  assert.throws(
    () => new Flatten({ type: "flatten", units: 3 }, context([4, 4, 1])),
    (e: Error) => e instanceof SpecError && /layers\[4\]\.units is not a known field/.test(e.message),
  );
});
