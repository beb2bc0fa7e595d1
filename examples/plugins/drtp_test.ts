// The plugin author's tests: the conformance suite with one call, and the runnable example on a small slice.
import assert from "node:assert/strict";
import { testInterface } from "../../testing/conformance.ts";
import { createDrtp } from "./drtp.ts";

testInterface("drtp", createDrtp);
testInterface("drtp", createDrtp, { config: { type: "drtp", scale: 0.5 }, seed: 7 });

Deno.test("train_drtp.ts trains MNIST FCN-3 with the plugin from its own registries and prints the accuracy", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--check",
      "--allow-read",
      "--allow-env",
      "train_drtp.ts",
      "--epochs",
      "1",
      "--train",
      "2000",
      "--test",
      "500",
    ],
    cwd: new URL(".", import.meta.url),
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  assert.equal(code, 0, new TextDecoder().decode(stderr).slice(-2000));
  assert.match(out, /^ {2}0: dense\(784 -> 256, bn, tanh\) {2}-> \[drtp\]$/m);
  const accuracy = Number(out.match(/^drtp: test accuracy ([\d.]+)%/m)![1]);
  // 16 steps: well above chance (10%), not yet above a frozen network (about 31%); README has the real comparison.
  assert.ok(accuracy > 20, `test accuracy ${accuracy}% after one epoch on 2000 examples`);
});
