import assert from "node:assert/strict";
import { EXIT_CODES, listenForInterrupt } from "./interrupt.ts";

const tick = (ms = 50) => new Promise((r) => setTimeout(r, ms));

// SIGTERM only: `deno test` itself stops on a SIGINT sent to its process (the CLI's SIGINT is tested in a child
// process, tests/cli_interrupt_test.ts).
Deno.test("the first signal aborts the run's signal; a second exits at once; a run that does not stop in time exits", async () => {
  const exits: number[] = [];
  const late: string[] = [];
  const exit = ((code: number) => void exits.push(code)) as (code: number) => never;
  const interrupt = listenForInterrupt({ graceMs: 200, exit, onLate: (s) => void late.push(s) });
  try {
    Deno.kill(Deno.pid, "SIGTERM");
    await tick();
    assert.equal(interrupt.signal.aborted, true);
    assert.equal(interrupt.signal.reason, "SIGTERM");
    assert.equal(interrupt.received, "SIGTERM");
    assert.deepEqual(exits, [], "the first signal only asks the run to stop");
    Deno.kill(Deno.pid, "SIGTERM");
    await tick();
    assert.deepEqual(exits, [EXIT_CODES.SIGTERM], "a second signal exits at once, with the first one's status");
    await tick(300);
    assert.deepEqual(late, ["SIGTERM"], "the grace time ran out: what is kept is said");
    assert.deepEqual(exits, [143, 143]);
  } finally {
    interrupt.dispose();
  }
});

Deno.test("a run that stops in time clears the grace timer", async () => {
  const exits: number[] = [];
  const exit = ((code: number) => void exits.push(code)) as (code: number) => never;
  const interrupt = listenForInterrupt({ graceMs: 100, exit });
  Deno.kill(Deno.pid, "SIGTERM");
  await tick();
  assert.equal(interrupt.received, "SIGTERM");
  interrupt.dispose();
  await tick(200);
  assert.deepEqual(exits, []);
  assert.equal(EXIT_CODES.SIGINT, 130);
});
