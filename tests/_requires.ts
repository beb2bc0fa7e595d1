// Tests that need a program the machine may lack (OpenBLAS, nats-server, openssl, Chromium): outside CI they are reported as
// ignored, with a line saying why; in CI (CI=true), which installs them (.ci/run), they run and fail instead, so a
// failed install cannot leave CI green with tests that never ran.

/** Whether tests run in CI: the environment variable `CI` is "true" (false without env permission). */
export function inCi(): boolean {
  try {
    return Deno.permissions.querySync({ name: "env", variable: "CI" }).state === "granted" &&
      Deno.env.get("CI") === "true";
  } catch {
    return false;
  }
}

/** What a test that needs a program does with it: `ignore` for `Deno.test`, `check()` first in its `fn`. */
export interface Requirement {
  /** True outside CI when the program is missing: the test is reported as ignored. */
  ignore: boolean;
  /** Throws, in CI, when the program is missing, so that the test fails with the reason; else does nothing. */
  check(): void;
}

/**
 * The requirement of the tests `what` in test file `file` on a program, `missing` being why it is missing
 * (`undefined` when it is there). Outside CI a missing program prints `FILE: WHAT did not run: REASON` once (now)
 * and the tests are ignored; in CI they are not ignored and `check()` throws with the reason.
 */
export function requires(file: string, what: string, missing: string | undefined): Requirement {
  if (missing === undefined) return { ignore: false, check() {} };
  if (!inCi()) {
    console.warn(`${file}: ${what} did not run: ${missing}`);
    return { ignore: true, check() {} };
  }
  return {
    ignore: false,
    check() {
      throw new Error(`${file}: ${what} cannot run: ${missing} (CI installs it: see .ci/run)`);
    },
  };
}

// Why `command args` does not run, or undefined when it exits with 0.
function programMissing(command: string, args: string[], pkg: string): string | undefined {
  try {
    const out = new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).outputSync();
    return out.success ? undefined : `${command} ${args.join(" ")} failed`;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return `${command} is not on PATH (apt-get install ${pkg})`;
    return `${command} could not run: ${e instanceof Error ? e.message : e}`;
  }
}

/** Why nats-server cannot run (`nats-server --version` fails), or undefined when it can. */
export function natsServerMissing(): string | undefined {
  return programMissing("nats-server", ["--version"], "nats-server");
}

/** Why openssl cannot run (`openssl version` fails), or undefined when it can. */
export function opensslMissing(): string | undefined {
  return programMissing("openssl", ["version"], "openssl");
}

/** Where Chromium is (`chromium` or `chromium-browser` on PATH), or undefined. */
export function chromiumPath(): string | undefined {
  let path: string | undefined;
  try {
    path = Deno.env.get("PATH");
  } catch {
    return undefined;
  }
  for (const dir of (path ?? "/usr/bin").split(":")) {
    for (const name of ["chromium", "chromium-browser"]) {
      try {
        if (Deno.statSync(`${dir}/${name}`).isFile) return `${dir}/${name}`;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** Why headless Chromium cannot run (not on PATH, or `chromium --version` fails), or undefined when it can. */
export function chromiumMissing(): string | undefined {
  const path = chromiumPath();
  if (path === undefined) return "chromium is not on PATH (apt-get install chromium)";
  return programMissing(path, ["--version"], "chromium");
}
