import assert from "node:assert/strict";
import { buildNetwork } from "../../network/build.ts";
import { type ModuleTimes, stagesFromProfile } from "./profile_modules.ts";

const module = (lo: number, hi: number, ms: number): ModuleTimes => ({
  lo,
  hi,
  inMs: 0.1,
  forwardMs: ms,
  outMs: 0.2,
  messageMs: 0.5,
  productMs: lo > 0 ? 0.3 : 0,
  outputBytes: 1000,
  messageBytes: lo > 0 ? 800 : 0,
  factoredBytes: lo > 0 ? 900 : 0,
});

Deno.test("stagesFromProfile() groups modules as planStages does and sums their work", () => {
  const net = buildNetwork({
    input: [16],
    layers: [
      { type: "dense", units: 16, activation: "relu", interface: "csg" },
      { type: "dense", units: 16, activation: "relu", interface: "csg" },
      { type: "dense", units: 4 },
    ],
  });
  const profile = { batches: 10, feedMs: 0, modules: [module(0, 0, 4), module(1, 1, 3), module(2, 2, 1)] };
  const one = stagesFromProfile(net, profile, 1);
  // in of the first, all forwards, out of the last, the inner messages and products handled in place
  assert.equal(one.length, 1);
  assert.ok(Math.abs(one[0]!.forwardMs - (0.1 + 8 + 0.2 + 0.6 + 1.0)) < 1e-9);
  const three = stagesFromProfile(net, profile, 3);
  assert.equal(three.length, 3);
  assert.deepEqual(three.map((s) => s.forwardBytes), [1000, 1000, 0]);
  assert.equal(three[0]!.messageBytes, 0);
  for (const s of three.slice(0, 2)) assert.ok(s.messageMs! >= 0.5);
  net.dispose();
});
