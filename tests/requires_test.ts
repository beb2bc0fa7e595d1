// tests/_requires.ts: a test that needs a missing program is ignored with a line outside CI, and fails in CI.
import assert from "node:assert/strict";
import { inCi, natsServerMissing, opensslMissing, requires } from "./_requires.ts";

// Runs `body` with the environment variable `name` set to `value` (deleted when undefined), then puts it back.
function withEnv<T>(name: string, value: string | undefined, body: () => T): T {
  const before = Deno.env.get(name);
  try {
    if (value === undefined) Deno.env.delete(name);
    else Deno.env.set(name, value);
    return body();
  } finally {
    if (before === undefined) Deno.env.delete(name);
    else Deno.env.set(name, before);
  }
}

// Runs `body` with console.warn recorded, returning its result and the lines warned.
function warned<T>(body: () => T): { result: T; lines: string[] } {
  const lines: string[] = [], warn = console.warn;
  console.warn = (...args: unknown[]) => void lines.push(args.join(" "));
  try {
    return { result: body(), lines };
  } finally {
    console.warn = warn;
  }
}

Deno.test("requires(): only CI=true is CI", () => {
  for (
    const [value, ci] of [["true", true], [undefined, false], ["", false], ["false", false], ["1", false]] as const
  ) {
    assert.equal(withEnv("CI", value, inCi), ci, `CI=${value}`);
  }
});

Deno.test("requires(): a program that is there runs its tests, in CI or not, and says nothing", () => {
  for (const ci of ["true", undefined]) {
    const { result, lines } = warned(() => withEnv("CI", ci, () => requires("a_test.ts", "the tests", undefined)));
    assert.equal(result.ignore, false);
    result.check();
    assert.deepEqual(lines, []);
  }
});

Deno.test("requires(): outside CI a missing program ignores the tests and says why once", () => {
  const { result, lines } = warned(() => withEnv("CI", undefined, () => requires("a_test.ts", "the X tests", "no x")));
  assert.equal(result.ignore, true);
  result.check();
  assert.deepEqual(lines, ["a_test.ts: the X tests did not run: no x"]);
});

Deno.test("requires(): in CI a missing program is not ignored and check() fails the test with the reason", () => {
  const { result, lines } = warned(() => withEnv("CI", "true", () => requires("a_test.ts", "the X tests", "no x")));
  assert.equal(result.ignore, false);
  assert.throws(
    () => result.check(),
    (e: Error) => e.message.startsWith("a_test.ts: the X tests cannot run: no x (CI installs it: see .ci/run"),
  );
  assert.deepEqual(lines, []);
});

Deno.test("natsServerMissing() and opensslMissing() say which program is not on PATH", () => {
  const missing = withEnv("PATH", "/nonexistent", () => [natsServerMissing(), opensslMissing()]);
  assert.deepEqual(missing, [
    "nats-server is not on PATH (apt-get install nats-server)",
    "openssl is not on PATH (apt-get install openssl)",
  ]);
  for (const probe of [natsServerMissing(), opensslMissing()]) assert.ok(probe === undefined || probe.length > 0);
});

// The same through `deno test` itself: the test is reported as ignored outside CI, and fails in CI.
Deno.test("requires(): deno test reports the test as ignored outside CI and as failed with CI=true", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/missing_test.ts`;
    await Deno.writeTextFile(
      script,
      `import { requires } from ${JSON.stringify(new URL("./_requires.ts", import.meta.url).href)};\n` +
        `const x = requires("missing_test.ts", "the X test", "x is not on PATH");\n` +
        `Deno.test({ name: "needs x", ignore: x.ignore, fn: () => x.check() });\n`,
    );
    const run = async (ci: string) => {
      const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
        args: ["test", "--no-config", "--no-lock", "--allow-env", script],
        cwd: dir,
        env: { CI: ci, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      return { code, text: new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr) };
    };
    const outside = await run("");
    assert.equal(outside.code, 0, outside.text);
    assert.match(outside.text, /missing_test\.ts: the X test did not run: x is not on PATH/);
    assert.match(outside.text, /ok \| 0 passed \| 0 failed \| 1 ignored/);
    const ci = await run("true");
    assert.notEqual(ci.code, 0, ci.text);
    assert.match(ci.text, /the X test cannot run: x is not on PATH \(CI installs it: see \.ci\/run/);
    assert.match(ci.text, /FAILED \| 0 passed \| 1 failed/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
