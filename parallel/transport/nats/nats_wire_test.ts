// The wire format of a run over NATS without a server: bodies, sealed pieces, replays and reassembly, fed with
// random, truncated and altered bytes. Nothing here may throw anything but a WireError, or accept what it should not.
import assert from "node:assert/strict";
import {
  COORDINATOR,
  decodeBody,
  encodeBody,
  type Envelope,
  open,
  peekEnvelope,
  randomHex,
  Reassembly,
  ReplayGuard,
  RunKeys,
  seal,
  WireError,
} from "./_wire.ts";
import { newRunKey, parseRunKey, readRunKeyFile, writeRunKeyFile } from "./_run_key.ts";

// A small deterministic generator, so that a failure can be replayed.
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const message = {
  kind: "forward",
  step: 7,
  rows: 3,
  x: new Float32Array([1.5, -2, 3, 4, 5, 6]),
  labels: new Uint8Array([1, 2, 0]),
  nested: { weights: [new Float32Array([0.25]), new Float32Array(0)] },
};

Deno.test("encodeBody/decodeBody round-trip typed arrays in order, as aligned views", () => {
  const back = decodeBody(encodeBody(message)) as typeof message;
  assert.deepEqual(back, message);
  assert.ok(back.x instanceof Float32Array && back.labels instanceof Uint8Array);
  assert.equal(back.x.byteOffset % 4, 0);
});

Deno.test("decodeBody: every truncation and random bytes give a WireError, never another error", () => {
  const bytes = encodeBody(message);
  for (let n = 0; n < bytes.length; n++) {
    try {
      decodeBody(bytes.subarray(0, n));
      // A prefix may decode only if it keeps the whole head and every array (none here: the arrays are last).
      assert.fail(`a prefix of ${n} of ${bytes.length} bytes decoded`);
    } catch (error) {
      assert.ok(error instanceof WireError, `${n} bytes: ${error}`);
    }
  }
  const random = lcg(1);
  for (let i = 0; i < 2000; i++) {
    const junk = new Uint8Array(Math.floor(random() * 200));
    for (let j = 0; j < junk.length; j++) junk[j] = Math.floor(random() * 256);
    if (i % 3 === 0 && junk.length >= 4) new DataView(junk.buffer).setUint32(0, Math.floor(random() * junk.length));
    try {
      decodeBody(junk);
    } catch (error) {
      assert.ok(error instanceof WireError, `junk ${i}: ${error}`);
    }
  }
});

Deno.test("decodeBody refuses forged array descriptors: past the end, out of order, odd types, deep nesting", () => {
  const forge = (head: unknown, tail = 0) => {
    const json = new TextEncoder().encode(JSON.stringify(head));
    const out = new Uint8Array(((4 + json.length + 3) & ~3) + tail);
    new DataView(out.buffer).setUint32(0, json.length);
    out.set(json, 4);
    return out;
  };
  const cases: [unknown, number, RegExp][] = [
    [{ x: { $a: 0, t: "f", n: 1000 } }, 16, /runs past/],
    [{ x: { $a: 1, t: "f", n: 1 } }, 16, /array 1 where array 0/],
    [{ x: { $a: 0, t: "d", n: 1 } }, 16, /type "d"/],
    [{ x: { $a: 0, t: "f", n: -1 } }, 16, /length -1/],
    [{ x: { $a: 0, t: "f", n: 1.5 } }, 16, /length 1\.5/],
    [JSON.parse("[".repeat(40) + "]".repeat(40)), 0, /nested more than 32/],
  ];
  for (const [head, tail, pattern] of cases) assert.throws(() => decodeBody(forge(head, tail)), pattern);
  assert.throws(() => decodeBody(new Uint8Array([0, 0, 0, 2, 0xff, 0xfe, 0, 0])), /not JSON/);
});

const secret = parseRunKey(newRunKey(), "a test key");
const session = randomHex(16);
const envelope = (seq: number, more = false, part = 0, encrypted = true) => ({
  sender: COORDINATOR,
  session,
  instance: "0011223344556677",
  seq,
  part,
  more,
  encrypted,
});

for (const encrypted of [true, false]) {
  const how = encrypted ? "AES-256-GCM" : "HMAC-SHA256";
  Deno.test(`seal/open (${how}): the body comes back; another key, subject, sender or any flipped byte is refused`, async () => {
    const keys = new RunKeys(secret, "r1");
    const k = await keys.keys(session, COORDINATOR);
    const body = encodeBody(message);
    const piece = await seal(k, "dni.r1.fwd.0", envelope(5, false, 0, encrypted), body);
    if (encrypted) {
      // Nothing of the body shows: the labels' bytes and the JSON head are not in the piece.
      assert.ok(!new TextDecoder().decode(piece).includes("forward"));
    }
    const opened = await open(k, "dni.r1.fwd.0", piece);
    assert.deepEqual(opened.body, body);
    assert.deepEqual(opened.envelope, { ...envelope(5, false, 0, encrypted) });
    const refused = async (p: Promise<unknown>, why: string) =>
      await assert.rejects(p, (e: Error) => e instanceof WireError, why);
    await refused(open(k, "dni.r1.fwd.1", piece), "another subject");
    const otherKey = await new RunKeys(parseRunKey(newRunKey(), "k"), "r1").keys(session, COORDINATOR);
    await refused(open(otherKey, "dni.r1.fwd.0", piece), "another run key");
    await refused(open(await new RunKeys(secret, "r2").keys(session, COORDINATOR), "dni.r1.fwd.0", piece), "run");
    await refused(open(await keys.keys(session, 0), "dni.r1.fwd.0", piece), "another sender's key");
    await refused(open(await keys.keys(randomHex(16), COORDINATOR), "dni.r1.fwd.0", piece), "another session");
    for (let i = 0; i < piece.length; i += Math.max(1, Math.floor(piece.length / 97))) {
      const altered = piece.slice();
      altered[i]! ^= 0x20;
      await refused(open(k, "dni.r1.fwd.0", altered), `byte ${i} flipped`);
    }
    for (const n of [0, 10, 55, 56, 60, piece.length - 1]) {
      await refused(open(k, "dni.r1.fwd.0", piece.subarray(0, n)), `cut to ${n} bytes`);
    }
  });
}

Deno.test("open: random bytes, with or without the magic, are refused with a WireError", async () => {
  const k = await new RunKeys(secret, "r1").keys(session, COORDINATOR);
  const random = lcg(2);
  for (let i = 0; i < 300; i++) {
    const junk = new Uint8Array(Math.floor(random() * 300));
    for (let j = 0; j < junk.length; j++) junk[j] = Math.floor(random() * 256);
    if (i % 2 === 0 && junk.length > 6) junk.set([0x44, 0x4e, 0x49, 0x01, i % 4, 0]);
    await assert.rejects(open(k, "dni.r1.fwd.0", junk), (e: Error) => e instanceof WireError, `junk ${i}`);
  }
  assert.equal(peekEnvelope(new Uint8Array(10)), undefined);
});

Deno.test("ReplayGuard: a sequence number not above the last of its sender, process and subject is refused", () => {
  const guard = new ReplayGuard();
  const e = (seq: number, instance = "0011223344556677"): Envelope => ({ ...envelope(seq), instance });
  assert.ok(guard.fresh(e(1), "a"));
  assert.ok(guard.fresh(e(3), "a"));
  assert.ok(!guard.fresh(e(3), "a"), "the same piece again");
  assert.ok(!guard.fresh(e(2), "a"), "an older piece");
  assert.ok(guard.fresh(e(2), "b"), "another subject has its own numbers");
  assert.ok(guard.fresh(e(1, "8899aabbccddeeff"), "a"), "another process has its own numbers");
});

Deno.test("Reassembly: pieces in order make the message; out of order, too big, too many or too old are dropped", () => {
  const e = (part: number, more: boolean, sender = 1): Envelope => ({ ...envelope(part + 1, more, part), sender });
  const r = new Reassembly({ messageBytes: 10, totalBytes: 15, ageMs: 1000 });
  const b = (n: number) => new Uint8Array(n).fill(n);
  assert.deepEqual(r.add(e(0, false), "s", b(3), 0), b(3), "one piece");
  assert.equal(r.add(e(0, true), "s", b(2), 0), undefined);
  assert.deepEqual(r.add(e(1, false), "s", b(3), 1), new Uint8Array([2, 2, 3, 3, 3]));
  assert.equal(r.waiting, 0);
  assert.throws(() => r.add(e(1, false), "s", b(1), 2), /piece 1 where piece 0/);
  r.add(e(0, true), "s", b(6), 3);
  assert.throws(() => r.add(e(1, true), "s", b(6), 4), /more than 10 bytes/);
  assert.equal(r.waiting, 0, "the oversized message's pieces are gone");
  r.add(e(0, true, 1), "s", b(8), 5);
  assert.throws(() => r.add(e(0, true, 2), "s", b(8), 6), /exceed 15 bytes/);
  assert.equal(r.waiting, 8);
  r.add(e(0, true, 3), "s", b(4), 7);
  assert.equal(r.waiting, 12);
  // Past ageMs without a next piece, a message's pieces are dropped when the next piece of anyone comes.
  assert.deepEqual(r.add(e(0, false, 4), "s", b(1), 2000), b(1));
  assert.equal(r.waiting, 0);
  assert.throws(() => r.add(e(1, false, 1), "s", b(1), 2001), /piece 1 where piece 0/);
});

Deno.test("run keys: 64+ hex digits; a bad key names its source, never its digits; key files are 0600 and kept", async () => {
  const key = newRunKey();
  assert.match(key, /^[0-9a-f]{64}$/);
  assert.equal(parseRunKey(` ${key}\n`, "x").length, 32);
  assert.throws(() => parseRunKey("abc", "DNI_RUN_KEY"), /^NatsError: DNI_RUN_KEY holds no run key: it must be hex/);
  assert.throws(() => parseRunKey("ab".repeat(16), "DNI_RUN_KEY"), /holds a run key of 16 bytes; it needs at least 32/);
  assert.throws(() => parseRunKey("zz".repeat(40), "F"), (e: Error) => !e.message.includes("zz"));
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/run.key`;
    await writeRunKeyFile(path);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const first = await Deno.readTextFile(path);
    await assert.rejects(writeRunKeyFile(path), /exists already \(a run key is never overwritten/);
    assert.equal(await Deno.readTextFile(path), first);
    assert.equal((await readRunKeyFile(path)).length, 32);
    await assert.rejects(readRunKeyFile(`${dir}/none`), /The run key file ".*none"/);
    await Deno.writeTextFile(`${dir}/short`, "00");
    await assert.rejects(readRunKeyFile(`${dir}/short`), /holds a run key of 1 bytes/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
