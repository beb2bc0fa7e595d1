import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { oneHot } from "../tests/_helpers.ts";
import { requireLabels } from "./require_labels.ts";

Deno.test("requireLabels() gives the labels, and names the interface when they are missing or of the wrong shape", () => {
  const labels = oneHot(4, 3);
  assert.equal(requireLabels({ labels, step: 0 }, "csg", 4), labels);
  assert.throws(
    () => requireLabels({ step: 0 } as never, "csg", 4),
    /^TypeError: Interface "csg" needs the labels \(context.labels, one-hot \[B, classes\]\), but the step context has none/,
  );
  assert.throws(
    () => requireLabels({ labels, step: 0 }, "drtp", 5),
    /^TypeError: Interface "drtp" needs the labels as a one-hot tensor \[5, classes\], got shape \[4,3\]$/,
  );
  tf.dispose(labels);
});
