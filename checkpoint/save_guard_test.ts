import assert from "node:assert/strict";
import { CheckpointError } from "../errors.ts";
import { specWith, tempDir, trained, values } from "../tests/_checkpoint_helpers.ts";
import { cleanDeadSaves } from "./_save_guard.ts";
import { loadCheckpoint } from "./load.ts";
import { saveCheckpoint } from "./save.ts";

// Another process that holds the exclusive lock on `file` (as saves take it) until it is killed.
async function holdLock(file: string): Promise<Deno.ChildProcess> {
  const code = `const f = await Deno.open(${JSON.stringify(file)}, { read: true, write: true, create: true });
    await f.lock(true); console.log("locked"); setInterval(() => {}, 1000);`;
  const child = new Deno.Command(Deno.execPath(), { args: ["eval", code], stdout: "piped" }).spawn();
  const reader = child.stdout.getReader();
  assert.match(new TextDecoder().decode((await reader.read()).value), /locked/);
  reader.releaseLock();
  return child;
}
const siblings = async (root: string) => {
  const names: string[] = [];
  for await (const e of Deno.readDir(root)) names.push(e.name);
  return names.sort();
};

Deno.test("a save cleans what dead saves left beside the checkpoint", async () => {
  const root = await tempDir();
  const dir = `${root}/ckpt`;
  const net = trained(specWith("csg"), 2);
  await saveCheckpoint(net, dir);
  for (const name of [".ckpt.partial-12345-0a1b2c3d", ".ckpt.old-12345-0a1b2c3d"]) {
    await Deno.mkdir(`${root}/${name}`);
    await Deno.writeTextFile(`${root}/${name}/weights.bin`, "x");
  }
  await Deno.mkdir(`${root}/.ckpt.partial-1a2b3c4d`); // an older version's name (no process id): left alone
  await saveCheckpoint(net, dir);
  assert.deepEqual(await siblings(root), [".ckpt.partial-1a2b3c4d", "ckpt"]);
  (await loadCheckpoint(dir)).dispose();
  net.dispose();
  await Deno.remove(root, { recursive: true });
});

Deno.test("a dead save's moved-aside checkpoint is put back when the checkpoint is missing", async () => {
  const root = await tempDir();
  const net = trained(specWith("sg"), 3);
  // As if killed between its two renames: the previous checkpoint aside, none in place.
  await saveCheckpoint(net, `${root}/.ckpt.old-12345-0a1b2c3d`);
  assert.deepEqual(await cleanDeadSaves(`${root}/ckpt`), [
    { action: "restored", path: `${root}/.ckpt.old-12345-0a1b2c3d` },
  ]);
  const back = await loadCheckpoint(`${root}/ckpt`);
  assert.deepEqual(values(back), values(net));
  back.dispose();
  net.dispose();
  await Deno.remove(root, { recursive: true });
});

Deno.test("a save killed with SIGKILL midway leaves nothing the next save does not clean", async () => {
  const root = await tempDir();
  const dir = `${root}/ckpt`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", "--allow-ffi", "tests/_save_loop.ts", dir],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "null",
  }).spawn();
  // Wait for its first save, then kill it during one of the next (a save of a few MB takes tens of ms).
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  assert.match(new TextDecoder().decode(value), /saved/);
  await new Promise((r) => setTimeout(r, 20 + Math.random() * 60));
  child.kill("SIGKILL");
  await child.status;
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  const net = trained(specWith("csg"), 2);
  await saveCheckpoint(net, dir);
  assert.deepEqual(await siblings(root), ["ckpt"], "no partial, old or lock left");
  (await loadCheckpoint(dir)).dispose();
  net.dispose();
  await Deno.remove(root, { recursive: true });
});

Deno.test("saves to one directory take turns; a live holder's lock sends this run's weights aside, named", async () => {
  const root = await tempDir();
  const dir = `${root}/ckpt`;
  const a = trained(specWith("csg"), 2, 1), b = trained(specWith("csg"), 4, 2);
  await Promise.all([saveCheckpoint(a, dir), saveCheckpoint(b, dir)]);
  const saved = await loadCheckpoint(dir);
  assert.ok([a, b].some((n) => JSON.stringify(values(n)) === JSON.stringify(values(saved))), "one of the two, whole");
  saved.dispose();
  assert.deepEqual(await siblings(root), ["ckpt"]);

  // Another process holds the lock: after the wait, the weights go to a sibling and the error names both.
  const holder = await holdLock(`${root}/.ckpt.lock`);
  const error = await saveCheckpoint(b, dir, { lockWaitMs: 300 }).then(() => undefined, (e) => e);
  holder.kill();
  await holder.status;
  await holder.stdout.cancel().catch(() => {});
  assert.ok(error instanceof CheckpointError);
  const m =
    /ckpt: is being saved by process \S* ?\S+ \(lock \S+\.ckpt\.lock\); this network was saved to (\S+) instead$/
      .exec(error.message);
  assert.ok(m, error.message);
  const aside = await loadCheckpoint(m[1]!);
  assert.deepEqual(values(aside), values(b));
  aside.dispose();
  // Once it lets go, saving there works again (the lock is the operating system's: a killed holder frees it).
  await saveCheckpoint(b, dir, { lockWaitMs: 5000 });
  assert.deepEqual((await siblings(root)).filter((n) => !n.startsWith("ckpt.conflict-")), ["ckpt"]);
  a.dispose();
  b.dispose();
  await Deno.remove(root, { recursive: true });
});
