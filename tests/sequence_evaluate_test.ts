// Sequential MNIST's evaluation scores each image from a zero state: the batch size does not change the score, and
// a last batch smaller than the others is scored like the rest (it once took the previous batch's final state, of
// another batch size, and failed on its shape).
import assert from "node:assert/strict";
import { buildNetwork } from "../network/build.ts";
import { evaluateSeqMnist } from "../recurrent/evaluate_sequences.ts";
import { Random } from "../random.ts";
import { assertClose } from "./_helpers.ts";

Deno.test("evaluateSeqMnist: each image from a zero state, whatever the batch size (a smaller last batch too)", () => {
  const random = new Random(5);
  const count = 50;
  const x = new Float32Array(count * 784).map(() => random.next());
  const labels = new Uint8Array(count).map(() => random.int(10));
  const net = buildNetwork({
    input: [28],
    layers: [{ type: "lstm", units: 8 }, { type: "dense", units: 10 }],
    loss: "softmax-cross-entropy",
  }, { seed: 3 });
  try {
    const whole = evaluateSeqMnist(net, { x, labels, count }, count);
    for (const batchSize of [7, 16]) { // 50 = 7 * 7 + 1 = 3 * 16 + 2
      const batched = evaluateSeqMnist(net, { x, labels, count }, batchSize);
      assert.equal(batched.correct, whole.correct, `batch size ${batchSize}`);
      assert.equal(batched.steps, count);
      assert.equal(batched.sequences, count);
      assertClose([batched.loss, batched.bits], [whole.loss, whole.bits], { what: `batch size ${batchSize}` });
    }
  } finally {
    net.dispose();
  }
});
