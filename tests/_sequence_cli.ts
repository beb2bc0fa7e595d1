// Shared by the sequence CLI tests (tests/sequence_*_test.ts): running the CLI in-process, its --json line, small
// sequence specs written to temp files, and one BLAS thread where a run must repeat bit for bit.
import assert from "node:assert/strict";
import { main } from "../cli.ts";
import { defaultBackend, setBlasThreads } from "../backend.ts";
import { nativeBlas } from "../native/backend.ts";

/** What one CLI run gave: the exit status, stdout, stderr. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI in this process (no live bar). */
export async function cli(args: string[]): Promise<CliRun> {
  let out = "", err = "";
  const code = await main(args, { out: (s) => out += s, err: (s) => err += s, live: false });
  return { code, out, err };
}

/** The `--json` object: the last line of stdout. */
// deno-lint-ignore no-explicit-any
export const lastJson = (out: string): any => JSON.parse(out.trim().split("\n").pop()!);

/** A path of an example spec. */
export const example = (name: string): string => new URL(`../examples/${name}`, import.meta.url).pathname;

const temporary: string[] = [];

/** Writes `spec` to a temp `.json` file (removed by `cleanUp`). */
export async function specFile(spec: unknown): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "dni-sequence-", suffix: ".json" });
  temporary.push(path);
  await Deno.writeTextFile(path, JSON.stringify(spec));
  return path;
}

/** A fresh temp directory (removed by `cleanUp`). */
export async function tempDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "dni-sequence-" });
  temporary.push(dir);
  return dir;
}

/** Removes what `specFile` and `tempDir` made. */
export async function cleanUp(): Promise<void> {
  for (const path of temporary.splice(0)) await Deno.remove(path, { recursive: true }).catch(() => {});
}

/**
 * A small sequence spec: one lstm of `units` (16) with `stateInterface` (a DNI on its state at a window's end), then
 * a dense output of `outputs`; Adam at `learningRate` (0.01) for the network and the synthesizer.
 */
export function lstmSpec(
  features: number | "vocabulary",
  outputs: number | "vocabulary",
  loss: string,
  { units = 16, stateInterface = "sg", learningRate = 0.01 }: {
    units?: number;
    stateInterface?: string;
    learningRate?: number;
  } = {},
): unknown {
  const adam = { type: "adam", learningRate };
  return {
    input: [features],
    layers: [
      { type: "lstm", units, stateInterface: { type: stateInterface, scale: 0.1, optimizer: adam } },
      { type: "dense", units: outputs },
    ],
    loss,
    optimizer: adam,
  };
}

/** `--threads 1` where the CLI runs on native (the flag needs it); nothing on wasm, which has one thread. */
export const oneThread = (): string[] => defaultBackend() === "native" ? ["--threads", "1"] : [];

/**
 * Runs `fn` with the BLAS library on one thread, putting the previous count back after it (a CLI run with
 * `--threads 1` would leave it at one for the rest of the test process).
 */
export async function withOneBlasThread<T>(fn: () => Promise<T>): Promise<T> {
  const blas = nativeBlas();
  const previous = "reason" in blas ? undefined : blas.threads();
  if (previous !== undefined) setBlasThreads(1);
  try {
    return await fn();
  } finally {
    if (previous !== undefined) setBlasThreads(previous);
  }
}

/** The CLI exits with `code`, and stderr has one `error:` line, matching `pattern`. */
export async function refused(args: string[], code: 1 | 2, pattern: RegExp): Promise<void> {
  const { code: got, err } = await cli(args);
  assert.equal(got, code, `${args.join(" ")}: exit ${got}, stderr ${err}`);
  const errors = err.trim().split("\n").filter((l) => l.startsWith("error"));
  assert.equal(errors.length, 1, `${args.join(" ")}: ${err}`);
  assert.match(errors[0]!, pattern, args.join(" "));
}

/** `train --spec SPEC --dataset seq-mnist --truncation 7` and `more`: the arguments of a small seq-mnist run. */
export const seqMnistTrain = (spec: string, ...more: string[]): string[] => [
  ...["train", "--spec", spec, "--dataset", "seq-mnist", "--truncation", "7"],
  ...more,
];
