// A run over NATS against a stranger on its server (docs/hosts.md, "Threat model"): a client that can publish and
// subscribe on every subject, but has no run key. It can neither claim a stage, nor make one import code, nor read
// weights or batches, nor change a run's result; junk of every shape leaves the run finishing exactly as a clean
// one; a frozen server ends the run within 15 s; a second coordinator on a run in use fails at once; the documented
// server permissions train, and a stage user cannot publish control messages.
import assert from "node:assert/strict";
import { connect, type NatsConnection } from "./_client.ts";
import { buildNetwork } from "../../../network/build.ts";
import { train } from "../../../training/train.ts";
import { pipeline } from "../../pipeline.ts";
import { encodeBody, peekEnvelope, randomHex, RunKeys, seal } from "./_wire.ts";
import { newRunKey, parseRunKey } from "./_run_key.ts";
import { subjects } from "./_names.ts";
import { data, spec, weights } from "../../../tests/_pipeline_fixture.ts";
import { ended, natsServer, needsNats, stageProcesses, testKey } from "../../../tests/_nats_fixture.ts";

const nats = needsNats("parallel/nats_security_test.ts");

// One thread's run of the fixture: what every attacked run must equal (staleness 0 over NATS is exact).
async function cleanWeights(epochs: number): Promise<Float32Array[]> {
  const net = buildNetwork(spec);
  await train(net, data, { epochs, batchSize: 32, seed: 3 });
  const w = weights(net);
  net.dispose();
  return w;
}

// Every subject a run `run` of 2 stages uses, and some it does not.
function allSubjects(run: string): string[] {
  const s = subjects(run);
  return [
    s.join,
    s.control(0),
    s.control(1),
    s.alive,
    s.end,
    s.forward(0),
    s.forward(1),
    s.forward(2),
    s.back(0),
    s.back(1),
    s.report(0),
    s.report(1),
    s.report(7),
    s.beat(0),
    s.beat(1),
    s.beat(7),
    `${s.inbox}.x.1`,
  ];
}

// What a stranger sends: old-style plain messages of every kind, random bytes, empty ones, and pieces sealed with
// a key of its own under the run's session and a captured sender (the header is not secret; the key is).
async function junk(run: string, captured: Uint8Array[]): Promise<Uint8Array[]> {
  const plain = [
    { kind: "end" },
    { kind: "collect" },
    { kind: "collected", weights: [new Float32Array(12 * 40)], diagnostics: [] },
    { kind: "done", results: [{ step: 0, loss: 0, correct: 32, rows: 32 }] },
    { kind: "consumed", count: 5 },
    { kind: "forward", step: 1, x: new Float32Array(32 * 40), rows: 32, labels: new Uint8Array(32) },
    { kind: "message", step: 1, gradient: new Float32Array(32 * 12) },
    {
      kind: "init",
      spec,
      plugins: ["data:application/javascript,console.error('PWNED');export function register(){}"],
      index: 0,
    },
    { kind: "join", index: 0, time: Date.now(), nonce: "x" },
  ].map((m) => encodeBody({ run, m }));
  const random = Array.from(
    { length: 6 },
    (_, i) => crypto.getRandomValues(new Uint8Array([0, 3, 57, 300, 4000, 60000][i]!)),
  );
  const header = captured.map(peekEnvelope).find((e) => e !== undefined);
  const forged: Uint8Array[] = [];
  if (header !== undefined) {
    const keys = await new RunKeys(parseRunKey(newRunKey(), "a stranger's key"), run).keys(
      header.session,
      header.sender,
    );
    for (const m of [{ kind: "end" }, { kind: "collect" }, { kind: "consumed", count: 3 }]) {
      forged.push(await seal(keys, subjects(run).end, { ...header, seq: header.seq + 1000 }, encodeBody(m)));
    }
  }
  return [...plain, ...random, new Uint8Array(0), ...forged];
}

Deno.test({
  name:
    "NATS security: junk, forgeries and replays on every subject of a running run change nothing; dni.> sees ciphertext",
  ignore: nats.ignore,
  fn: async () => {
    nats.check();
    const server = await natsServer();
    const run = "attacked";
    let stranger: NatsConnection | undefined;
    let attacking = true, attack: Promise<void> = Promise.resolve(), begin: () => void = () => {};
    try {
      const clean = await cleanWeights(2);
      stranger = await connect({ servers: `127.0.0.1:${server.port}` });
      // The stranger hears everything (a subscriber on dni.>), and plays every piece it hears again, on its own
      // subject and on another, besides its junk.
      const heard: { subject: string; data: Uint8Array }[] = [];
      stranger.subscribe("dni.>", {
        callback: (_e, m) => void heard.push({ subject: m.subject, data: m.data.slice() }),
      });
      await stranger.flush();
      const targets = allSubjects(run);
      let sent = 0;
      const running = new Promise<void>((resolve) => begin = resolve);
      attack = (async () => {
        await running; // from the run's first batch on: a running run (a flood is a matter for the server's limits)
        while (attacking) {
          const pieces = await junk(run, heard.slice(-20).map((h) => h.data));
          try {
            for (const subject of targets) for (const p of pieces) stranger!.publish(subject, p), sent++;
            for (const h of heard.slice(-30)) {
              stranger!.publish(h.subject, h.data); // the same piece again
              stranger!.publish(targets[sent % targets.length]!, h.data); // on another subject
              sent += 2;
            }
          } catch {
            return; // the stranger's connection is closed
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const net = buildNetwork(spec);
      const started = heard.length;
      const strategy = pipeline({
        workers: 2,
        staleness: 0,
        transport: "nats",
        nats: { url: server.url, run, spawn: true },
      });
      const h = await train(net, data, {
        epochs: 2,
        batchSize: 32,
        seed: 3,
        strategy,
        callbacks: { onBatchEnd: () => begin() },
      });
      attacking = false;
      await attack;
      console.log(`the stranger sent ${sent} messages during the run; it heard ${heard.length - started}`);
      // At least one whole round of junk on every subject (how many rounds fit depends on the run's speed).
      assert.ok(sent >= targets.length * 19, `only ${sent} messages sent`);
      assert.deepEqual(weights(net), clean, "every weight as in the clean run (a checkpoint of them too)");
      assert.equal(h.epochs.at(-1)!.stages!.length, 2);
      net.dispose();
      // What the stranger heard of the run itself: sealed pieces only. No JSON, no labels, no weights.
      const own = heard.filter((m) => peekEnvelope(m.data)?.encrypted === true);
      assert.ok(own.length > 40, `${own.length} sealed pieces heard`);
      const text = (b: Uint8Array) => new TextDecoder().decode(b);
      for (const m of own) {
        assert.ok(!/"kind"|forward|collected|weights/.test(text(m.data)), `plain text on ${m.subject}`);
      }
      const firstWeights = new Uint8Array(clean[0]!.buffer, 0, 32);
      const contains = (hay: Uint8Array, needle: Uint8Array) =>
        hay.some((_, i) => needle.every((b, j) => hay[i + j] === b));
      assert.ok(!own.some((m) => contains(m.data, firstWeights)), "no weight's bytes in the clear");
    } finally {
      attacking = false;
      begin();
      await attack;
      await stranger?.close();
      await server.stop();
    }
  },
});

Deno.test({
  name: "NATS security: a client without the key cannot claim a stage or make it import code; the stage then trains",
  ignore: nats.ignore,
  fn: async () => {
    nats.check();
    const server = await natsServer();
    const run = "claimed", key = testKey();
    const children = stageProcesses(server.url, run, 2, key, { stderr: "piped" });
    const stranger = await connect({ servers: `127.0.0.1:${server.port}` });
    try {
      const s = subjects(run);
      await new Promise((r) => setTimeout(r, 1500)); // the stage processes are waiting
      // A claim in the old plain form, and one sealed with another key: neither is answered.
      const wrong = new RunKeys(parseRunKey(newRunKey(), "k"), run);
      const session = randomHex(16);
      const sealed = await seal(
        await wrong.keys(session, 0xffff),
        s.join,
        { sender: 0xffff, session, instance: randomHex(8), seq: 1, part: 0, more: false, encrypted: true },
        encodeBody({ kind: "join", index: 0, time: Date.now(), nonce: "n1", encrypt: true }),
      );
      for (const claim of [encodeBody({ run, m: { index: 0 } }), new TextEncoder().encode('{"index":0}'), sealed]) {
        await assert.rejects(stranger.request(s.join, claim, { timeout: 1500 }), /timeout|no responders/i);
      }
      // A forged init with plugins by data: and file: URL, on every stage subject: nothing is imported.
      const marker = await Deno.makeTempFile();
      await Deno.remove(marker);
      const evil = `data:application/javascript,console.error('PWNED');export function register(){}`;
      const file = await Deno.makeTempFile({ suffix: ".ts" });
      await Deno.writeTextFile(file, `console.error("PWNED-FILE"); export function register() {}\n`);
      for (let k = 0; k < 2; k++) {
        for (const subject of [s.control(k), s.forward(k), s.back(k)]) {
          stranger.publish(subject, encodeBody({ run, m: { kind: "init", plugins: [evil, `file://${file}`], spec } }));
        }
      }
      await stranger.flush();
      // The stage processes are still free: the run of the key trains, exactly as one thread.
      const clean = await cleanWeights(1);
      const net = buildNetwork(spec);
      const strategy = pipeline({ workers: 2, staleness: 0, transport: "nats", nats: { url: server.url, run, key } });
      await train(net, data, { epochs: 1, batchSize: 32, seed: 3, strategy });
      assert.deepEqual(weights(net), clean);
      net.dispose();
      await Deno.remove(file);
      await ended(children);
      const said = (await Promise.all(children.map((c) => new Response(c.stderr).text()))).join("\n");
      assert.ok(!said.includes("PWNED"), said);
    } finally {
      await stranger.close();
      await ended(children);
      await server.stop();
    }
  },
});

Deno.test({
  name: "NATS security: authenticated but not encrypted (encrypt: false) still trains exactly like one thread",
  ignore: nats.ignore,
  fn: async () => {
    nats.check();
    const server = await natsServer();
    try {
      const clean = await cleanWeights(1);
      const net = buildNetwork(spec);
      const nats = { url: server.url, run: "plain-auth", spawn: true, encrypt: false };
      await train(net, data, {
        epochs: 1,
        batchSize: 32,
        seed: 3,
        strategy: pipeline({ staleness: 0, transport: "nats", nats }),
      });
      assert.deepEqual(weights(net), clean);
      net.dispose();
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name: 'NATS security: a second coordinator on a run in use fails at once with "in use"; the first run goes on',
  ignore: nats.ignore,
  fn: async () => {
    nats.check();
    const server = await natsServer();
    const key = testKey();
    const children = stageProcesses(server.url, "busy", 2, key);
    try {
      const first = buildNetwork(spec), second = buildNetwork(spec);
      let tried: Promise<unknown> | undefined;
      const nats = { url: server.url, run: "busy", key };
      const h = await train(first, data, {
        epochs: 2,
        batchSize: 32,
        strategy: pipeline({ transport: "nats", nats }),
        callbacks: {
          onBatchEnd: () => {
            if (tried !== undefined) return;
            const t = performance.now();
            tried = assert.rejects(
              () => train(second, data, { epochs: 1, batchSize: 32, strategy: pipeline({ transport: "nats", nats }) }),
              /^NatsError: Run "busy" is in use on nats:\/\/127\.0\.0\.1:\d+: another coordinator answers/,
            ).then(() => assert.ok(performance.now() - t < 5000, `${performance.now() - t} ms`));
          },
        },
      });
      await tried;
      assert.equal(h.epochs.length, 2);
      first.dispose();
      second.dispose();
    } finally {
      await ended(children);
      await server.stop();
    }
  },
});

Deno.test({
  name: "NATS security: a frozen server (a partition) ends the run within 15 s with one line, no process left",
  ignore: nats.ignore,
  fn: async () => {
    nats.check();
    const server = await natsServer();
    try {
      const net = buildNetwork(spec);
      let frozenAt = 0;
      const strategy = pipeline({ transport: "nats", nats: { url: server.url, run: "frozen", spawn: true } });
      let error: Error | undefined;
      try {
        await train(net, data, {
          epochs: 100,
          batchSize: 8,
          strategy,
          callbacks: {
            onBatchEnd: () => {
              if (frozenAt > 0) return;
              frozenAt = performance.now();
              server.child.kill("SIGSTOP");
            },
          },
        });
      } catch (e) {
        error = e as Error;
      }
      const seconds = (performance.now() - frozenAt) / 1000;
      assert.ok(error !== undefined && !error.message.includes("\n"), String(error));
      assert.match(error.message, /sent no beat for 5 s|made no progress/);
      assert.ok(frozenAt > 0 && seconds < 15, `ended ${seconds.toFixed(1)} s after the freeze`);
      // The stage processes it started are gone.
      const pids = [...error.message.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
      for (const pid of pids) assert.throws(() => Deno.kill(pid, "SIGCONT"), `stage process ${pid} still there`);
      net.dispose();
    } finally {
      await server.stop();
    }
  },
});

// The server configuration of docs/hosts.md, "Permissions": a coordinator user and a stage user.
export function permissionConfig(coordinator: string, stage: string, password: string): string {
  return `authorization {
  users = [
    { user: ${coordinator}, password: ${password}, permissions: {
        publish: ["dni.*.ctl.>", "dni.*.fwd.0"]
        subscribe: ["dni.*.report.*", "dni.*.beat.*", "dni.*.inbox.>", "dni.*.ctl.owner"]
        allow_responses: true } }
    { user: ${stage}, password: ${password}, permissions: {
        publish: ["dni.*.fwd.*", "dni.*.back.*", "dni.*.report.*", "dni.*.beat.*"]
        subscribe: ["dni.*.ctl.join", "dni.*.ctl.stage.*", "dni.*.ctl.alive", "dni.*.ctl.end", "dni.*.fwd.*", "dni.*.back.*"]
        allow_responses: true } }
    { user: watcher, password: ${password}, permissions: { publish: [], subscribe: [">"] } }
  ]
}
`;
}

Deno.test({
  name: "NATS security: the documented permissions train; a stage user cannot publish control messages",
  ignore: nats.ignore,
  fn: async () => {
    nats.check();
    const dir = await Deno.makeTempDir();
    const conf = `${dir}/nats.conf`;
    await Deno.writeTextFile(conf, permissionConfig("coordinator", "stage", "pw-4f2a"));
    const server = await natsServer(["-c", conf]);
    const url = (user: string) => `nats://${user}:pw-4f2a@127.0.0.1:${server.port}`;
    const key = testKey();
    const children = stageProcesses(url("stage"), "perm", 2, key);
    let watcher: NatsConnection | undefined, stage: NatsConnection | undefined;
    try {
      const clean = await cleanWeights(1);
      const net = buildNetwork(spec);
      const strategy = pipeline({
        staleness: 0,
        transport: "nats",
        nats: { url: url("coordinator"), run: "perm", key },
      });
      await train(net, data, { epochs: 1, batchSize: 32, seed: 3, strategy });
      assert.deepEqual(weights(net), clean);
      net.dispose();
      // A stage user publishes a control message and a beat: the server delivers the beat only.
      watcher = await connect({ servers: `127.0.0.1:${server.port}`, user: "watcher", pass: "pw-4f2a" });
      const seen: string[] = [];
      watcher.subscribe("dni.>", { callback: (_e, m) => void seen.push(m.subject) });
      await watcher.flush();
      stage = await connect({ servers: `127.0.0.1:${server.port}`, user: "stage", pass: "pw-4f2a" });
      for (const subject of ["dni.perm.ctl.end", "dni.perm.ctl.stage.0", "dni.perm.ctl.join", "dni.perm.beat.0"]) {
        stage.publish(subject, new Uint8Array([1]));
      }
      await stage.flush().catch(() => {});
      await new Promise((r) => setTimeout(r, 500));
      assert.deepEqual(seen, ["dni.perm.beat.0"]);
    } finally {
      await stage?.close().catch(() => {});
      await watcher?.close();
      await ended(children);
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
