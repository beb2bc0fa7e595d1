// What a strategy run keeps while it waits on its Workers stays bounded over a long run (issue 17): a settled race
// or a question answered leaves nothing behind that holds its result.
import assert from "node:assert/strict";
import { RunFailure } from "./_run_failure.ts";
import { answerOnce } from "./_pool.ts";

Deno.test("a run's races hold nothing once settled, and its failure ends those still pending", async () => {
  const run = new RunFailure("The Workers");
  for (let i = 0; i < 1000; i++) assert.equal(await run.race(Promise.resolve(i)), i);
  await assert.rejects(run.race(Promise.reject(new Error("a stage's own error"))), /a stage's own error/);
  assert.equal(run.pendingRaces, 0); // one left per race, as Promise.race([p, failure]) left, would be 1,001
  const pending = run.race(new Promise(() => {}));
  assert.equal(run.pendingRaces, 1);
  run.fail(new Error("Worker 1 crashed"));
  run.fail(new Error("a later failure"));
  await assert.rejects(pending, /Worker 1 crashed/);
  assert.equal(run.pendingRaces, 0);
  await assert.rejects(run.race(Promise.resolve(1)), /Worker 1 crashed/);
  await assert.rejects(run.race(Promise.reject(new Error("late"))), /Worker 1 crashed/);
});

Deno.test("a question's handler gives the Worker back the handler it had once answered", () => {
  const handlers: ((m: string) => void)[] = [];
  const pool = { on: (k: number, h: (m: string) => void) => handlers[k] = h, handler: (k: number) => handlers[k]! };
  const heard: string[] = [], answers: string[] = [];
  const before = (m: string) => void heard.push(m);
  pool.on(0, before);
  for (let i = 0; i < 100; i++) {
    answerOnce(pool, 0, (m): m is string => m.startsWith("answer"), (m) => void answers.push(m));
    handlers[0]!("progress");
    handlers[0]!(`answer ${i}`);
    assert.equal(handlers[0], before); // not a chain of 100 handlers
  }
  assert.equal(heard.length, 100);
  assert.equal(answers.at(-1), "answer 99");
  // A handler set while the question waits stays.
  answerOnce(pool, 0, (m): m is string => m === "answer", () => {});
  const during = () => {};
  pool.on(0, during);
  answerOnce(pool, 0, (m): m is string => m === "other", () => {});
  handlers[0]!("other");
  assert.equal(handlers[0], during);
});
