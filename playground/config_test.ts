import assert from "node:assert/strict";
import { configUrl, readConfig } from "./config.ts";
import { stepLine, type StepRecord, unlockedLayers } from "./timeline.ts";

Deno.test("readConfig() reads a setup from the query string and configUrl() writes it back", () => {
  const c = readConfig("?iface=csg,local-loss,sg&hidden=64&steps=200&lr=0.01&autostart=1");
  assert.deepEqual(c.interfaces, ["csg", "local-loss", "sg"]);
  assert.deepEqual(c.hidden, [64, 64, 64]);
  assert.equal(c.steps, 200);
  assert.equal(c.learningRate, 0.01);
  assert.equal(c.batch, 64);
  assert.ok(c.autostart);
  const again = readConfig(new URL(configUrl(c, "http://127.0.0.1:8080/?x=1")).search);
  assert.deepEqual(again, { ...c, autostart: false });
});

Deno.test("readConfig() takes the defaults for missing or bad values", () => {
  const c = readConfig("?iface=nope&steps=-3&batch=x&lr=7");
  assert.deepEqual(c.interfaces, ["backprop"]);
  assert.deepEqual(c.hidden, [128]);
  assert.deepEqual([c.steps, c.batch, c.learningRate, c.autostart], [500, 64, 0.001, false]);
  assert.deepEqual(readConfig("").interfaces, ["backprop", "backprop"]);
});

Deno.test("unlockedLayers() and stepLine() tell which layers updated before the loss", () => {
  const span = (kind: StepRecord["spans"][number]["kind"], layer: number, start: number) => ({
    kind,
    layer,
    start,
    end: start + 1,
  });
  // sg on layer 0, backprop on layer 1: layer 0 updates before the loss, layer 1 after it.
  const record: StepRecord = {
    step: 7,
    start: 0,
    end: 10,
    spans: [span("forward", 0, 0), span("synthetic", 0, 1), span("update", 0, 2), span("forward", 1, 3)]
      .concat([span("forward", 2, 4), span("loss", 2, 5), span("update", 2, 6), span("update", 1, 8)]),
  };
  assert.deepEqual(unlockedLayers(record), [0]);
  assert.equal(
    stepLine(record, ["sg", "backprop"], [0]),
    "step 7 (10.0 ms): layer 0 (sg) updates at 20%, before the loss: unlocked; " +
      "layer 1 (backprop) updates at 80%, after the loss: locked; layer 2 (output) updates at 60%",
  );
});
