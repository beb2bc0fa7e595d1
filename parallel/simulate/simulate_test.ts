import assert from "node:assert/strict";
import { simulatePipeline } from "./simulate.ts";

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual}, expected ${expected}`);

Deno.test("simulatePipeline() of one stage is the sum of its compute, or the feed when that is slower", () => {
  const r = simulatePipeline({ stages: [{ forwardMs: 3 }], batches: 10 });
  close(r.totalMs, 30, "total");
  close(r.msPerBatch, 3, "per batch");
  close(r.secondsPerEpoch, 0.03, "seconds");
  close(r.stages[0]!.utilisation, 1, "utilisation");
  close(simulatePipeline({ stages: [{ forwardMs: 3 }], batches: 10, feedMs: 1 }).totalMs, 31, "fed");
  close(simulatePipeline({ stages: [{ forwardMs: 3 }], batches: 10, feedMs: 5 }).totalMs, 53, "feed-bound");
});

Deno.test("simulatePipeline() of two balanced stages approaches one stage's time per batch", () => {
  for (const staleness of [1, 2, 5]) {
    const r = simulatePipeline({
      stages: [{ forwardMs: 2, forwardBytes: 10 }, { forwardMs: 2, messageBytes: 10 }],
      batches: 1000,
      staleness,
    });
    close(r.totalMs, 2002, `staleness ${staleness}`);
    assert.ok(r.msPerBatch < 2.01);
  }
});

Deno.test("simulatePipeline() with staleness 0 serialises: both stages' work and the round trip per batch", () => {
  const stages = [{ forwardMs: 2, messageMs: 1 }, { forwardMs: 3 }];
  // A batch: stage 0's forward, the activations up (L), stage 1's forward, the message down (L), stage 0 handles it.
  close(simulatePipeline({ stages, batches: 10, staleness: 0 }).totalMs, 9 * 6 + 5, "no latency");
  const r = simulatePipeline({ stages, batches: 10, staleness: 0, latencyMs: 0.5 });
  close(r.totalMs, 9 * 7 + 5.5, "latency 0.5 ms");
  assert.equal(r.stages[0]!.maxOutstanding, 1);
  // Staleness 1 hides the round trip: stage 1 (3 ms a batch, against stage 0's 1 + 0.5) is the bottleneck.
  const unequal = [{ forwardMs: 1, messageMs: 0.5 }, { forwardMs: 3 }];
  close(simulatePipeline({ stages: unequal, batches: 10, staleness: 1, latencyMs: 0.5 }).totalMs, 31.5, "staleness 1");
  close(simulatePipeline({ stages: unequal, batches: 10, staleness: 0, latencyMs: 0.5 }).totalMs, 9 * 5.5 + 4.5, "0");
});

Deno.test("simulatePipeline() adds latency and transfer time, and serialises a slow link", () => {
  const stages = (bytes: number) => [{ forwardMs: 2, forwardBytes: bytes }, { forwardMs: 2 }];
  // 1e6 bytes at 1e9 bytes/s: 1 ms on the link, hidden by the pipeline except once.
  close(simulatePipeline({ stages: stages(1e6), batches: 10, bandwidth: 1e9, staleness: 100 }).totalMs, 23, "1 ms");
  close(
    simulatePipeline({ stages: stages(1e6), batches: 10, bandwidth: 1e9, latencyMs: 0.25, staleness: 100 }).totalMs,
    23.25,
    "1 ms + latency",
  );
  // 3 ms on the link: the link is the bottleneck, a batch every 3 ms.
  close(simulatePipeline({ stages: stages(3e6), batches: 10, bandwidth: 1e9, staleness: 100 }).totalMs, 34, "3 ms");
});

Deno.test("simulatePipeline() charges each item's overhead to its sender and counts bytes", () => {
  const r = simulatePipeline({
    stages: [{ forwardMs: 2, forwardBytes: 100 }, { forwardMs: 2, messageBytes: 50 }],
    batches: 4,
    overheadMs: 0.5,
    staleness: 10,
  });
  // Stage 0: 2.5 ms a batch (compute, then sending up); stage 1 starts at 2.5 and takes 2.5 (compute, message down).
  close(r.totalMs, 4 * 2.5 + 2.5, "total");
  close(r.stages[0]!.busyMs, 10, "stage 0 busy");
  close(r.stages[1]!.busyMs, 10, "stage 1 busy");
  assert.deepEqual(r.stages.map((s) => s.bytesSent), [400, 200]);
  assert.equal(r.bytesSent, 600);
});

Deno.test("simulatePipeline() busy and waiting add up to the epoch; staleness bounds what is outstanding", () => {
  const r = simulatePipeline({
    stages: [{ forwardMs: 1, messageMs: 0.5 }, { forwardMs: 4, messageMs: 0.2 }, { forwardMs: 2 }],
    batches: 50,
    staleness: 2,
    latencyMs: 0.3,
    overheadMs: 0.1,
  });
  for (const s of r.stages) {
    close(s.busyMs + s.waitingMs, r.totalMs, "busy + waiting");
    assert.ok(s.utilisation > 0 && s.utilisation <= 1);
    assert.ok(s.maxOutstanding <= 3);
  }
  assert.equal(r.stages[0]!.maxOutstanding, 3); // stage 0 is faster than stage 1: it runs as far ahead as it may
  assert.ok(r.stages[1]!.utilisation > 0.95); // the bottleneck
  assert.equal(r.stages[2]!.maxOutstanding, 0);
});

Deno.test("simulatePipeline() is deterministic", () => {
  const options = {
    stages: [{ forwardMs: 1.3, messageMs: 0.4, forwardBytes: 5e5 }, { forwardMs: 1.7, messageBytes: 2e5 }],
    batches: 200,
    latencyMs: 0.1,
    bandwidth: 1.25e8,
  };
  assert.deepEqual(simulatePipeline(options), simulatePipeline(options));
});

Deno.test("simulatePipeline() rejects bad inputs in one line naming the value", () => {
  const ok = [{ forwardMs: 1 }];
  assert.throws(() => simulatePipeline({ stages: [], batches: 1 }), /at least one stage, got 0/);
  assert.throws(() => simulatePipeline({ stages: ok, batches: 0 }), /batches must be an integer >= 1, got 0/);
  assert.throws(() => simulatePipeline({ stages: ok, batches: 1, staleness: -1 }), /staleness .* got -1/);
  assert.throws(() => simulatePipeline({ stages: ok, batches: 1, bandwidth: 0 }), /bandwidth must be > 0/);
  assert.throws(() => simulatePipeline({ stages: ok, batches: 1, latencyMs: -2 }), /latencyMs .* got -2/);
  assert.throws(
    () => simulatePipeline({ stages: [{ forwardMs: 1 }, { forwardMs: -1 }], batches: 1 }),
    /Stage 1's forwardMs must be a number >= 0, got -1/,
  );
  assert.throws(() => simulatePipeline({ stages: [{ forwardMs: NaN }], batches: 1 }), /got NaN/);
});

Deno.test("simulatePipeline() charges a wake-up to a stage that sleeps when an item comes", () => {
  // Staleness 0: each stage sleeps while the other works, so every item wakes its receiver.
  const stages = [{ forwardMs: 2 }, { forwardMs: 3 }];
  close(simulatePipeline({ stages, batches: 10, staleness: 0, wakeMs: 0.25 }).totalMs, 9 * 5.5 + 5.25, "both wake");
  // A stage that is busy when its input comes does not sleep: stage 0 is fed all batches at once and never waits.
  close(simulatePipeline({ stages: [{ forwardMs: 3 }], batches: 10, wakeMs: 1 }).totalMs, 30, "never asleep");
});

Deno.test("simulatePipeline() with cores: busy stages share them, background work takes its part", () => {
  const stages = [{ forwardMs: 2 }, { forwardMs: 2 }];
  // A core each: as without the option, exactly.
  close(
    simulatePipeline({ stages, batches: 100, cores: 2 }).totalMs,
    simulatePipeline({ stages, batches: 100 }).totalMs,
    "2",
  );
  // One core for two balanced stages: 4 ms a batch once both are busy (the first batch runs alone: 2 ms).
  close(simulatePipeline({ stages, batches: 100, cores: 1 }).totalMs, 2 + 99 * 4 + 2, "1 core");
  // One stage of 3 ms and 1 ms of background per batch on one core: 4 ms a batch (3 / (1 - 1/4) = 4).
  const one = simulatePipeline({ stages: [{ forwardMs: 3 }], batches: 10, cores: 1, backgroundMs: 1 });
  assert.ok(Math.abs(one.msPerBatch - 4) < 1e-6, `${one.msPerBatch}`);
  // On 2 cores the background runs on the idle one: nothing changes.
  close(
    simulatePipeline({ stages: [{ forwardMs: 3 }], batches: 10, cores: 2, backgroundMs: 1 }).totalMs,
    30,
    "2 cores",
  );
  // Two stages on 2 cores with 0.5 ms of background per batch: both busy nearly always, each at (2 - u) / 2.
  const two = simulatePipeline({ stages, batches: 1000, cores: 2, backgroundMs: 0.5 });
  assert.ok(two.msPerBatch > 2.1 && two.msPerBatch < 2.3, `${two.msPerBatch}`);
  assert.throws(() => simulatePipeline({ stages, batches: 10, cores: 0 }), /cores must be a number > 0, got 0/);
  assert.throws(() => simulatePipeline({ stages, batches: 10, cores: 2, backgroundMs: -1 }), /backgroundMs .* -1/);
});
