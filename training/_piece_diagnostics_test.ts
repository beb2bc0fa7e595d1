import assert from "node:assert/strict";
import { PieceDiagnostics } from "./_piece_diagnostics.ts";

Deno.test("PieceDiagnostics: running means weighted by batches over pieces, probes from the last piece", () => {
  const one = new PieceDiagnostics();
  const read = [{ layer: 0, type: "csg", synthesizerLoss: 0.123456789, cosine: 0.5 }];
  one.add(read, 4);
  assert.equal(one.epoch(), read); // one piece: as it read them
  const pieces = new PieceDiagnostics();
  pieces.add([{ layer: 0, type: "csg", synthesizerLoss: 1, cosine: 0.2 }], 3);
  pieces.add([], 0); // a piece with no batch counts for nothing
  pieces.add([{ layer: 0, type: "csg", synthesizerLoss: 2, cosine: 0.4 }], 1);
  assert.deepEqual(pieces.epoch(), [{ layer: 0, type: "csg", synthesizerLoss: 1.25, cosine: 0.4 }]);
  assert.deepEqual(pieces.sums(), { "0/csg//synthesizerLoss": 5 });
  // resumed from those sums after 4 batches
  const resumed = new PieceDiagnostics(pieces.sums(), 4);
  resumed.add([{ layer: 0, type: "csg", synthesizerLoss: 0, cosine: 0.9 }], 1);
  assert.deepEqual(resumed.epoch(), [{ layer: 0, type: "csg", synthesizerLoss: 1, cosine: 0.9 }]);
});
