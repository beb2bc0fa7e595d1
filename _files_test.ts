import assert from "node:assert/strict";
import { bytesText, MAX_JSON_FILE_BYTES, readRegularFile, type ReadRegularFileOptions } from "./_files.ts";
import { mkfifo, sparseFile, withinSeconds } from "./tests/_special_files.ts";

const fail = (problem: string, cause?: unknown) => new Error(`File f: ${problem}`, { cause });
const options = (over: Partial<ReadRegularFileOptions> = {}): ReadRegularFileOptions => ({
  what: "a test file",
  maxBytes: MAX_JSON_FILE_BYTES,
  fail,
  ...over,
});

async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "dni-files-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** `readRegularFile(path)` rejects, within 5 s, with exactly one line matching `pattern`. */
async function refuses(path: string, pattern: RegExp, over: Partial<ReadRegularFileOptions> = {}): Promise<Error> {
  let caught: Error | undefined;
  await withinSeconds(
    5,
    readRegularFile(path, options(over)).then(
      () => assert.fail(`${path} was read`),
      (error) => caught = error,
    ),
  );
  assert.ok(caught);
  assert.match(caught.message, pattern);
  assert.doesNotMatch(caught.message, /\n/, "one line");
  return caught;
}

Deno.test("readRegularFile() reads a regular file, through a link too", async () => {
  await inTempDir(async (dir) => {
    const bytes = new Uint8Array(3 * 1024 * 1024 + 5).map((_, i) => i % 251);
    await Deno.writeFile(`${dir}/a`, bytes);
    await Deno.symlink(`${dir}/a`, `${dir}/link`);
    assert.deepEqual(await readRegularFile(`${dir}/a`, options()), bytes);
    assert.deepEqual(
      await readRegularFile(`${dir}/link`, options({ expect: { bytes: bytes.length, by: "x" } })),
      bytes,
    );
    await Deno.writeFile(`${dir}/empty`, new Uint8Array(0));
    assert.deepEqual(await readRegularFile(`${dir}/empty`, options()), new Uint8Array(0));
  });
});

Deno.test("readRegularFile() refuses a FIFO without opening it (an open would block)", async () => {
  await inTempDir(async (dir) => {
    await mkfifo(`${dir}/fifo`);
    await refuses(`${dir}/fifo`, /^File f: is a FIFO \(named pipe\), not a regular file$/);
  });
});

Deno.test("readRegularFile() refuses a link to /dev/zero, naming the device, without reading it", async () => {
  await inTempDir(async (dir) => {
    await Deno.symlink("/dev/zero", `${dir}/weights.bin`);
    await refuses(
      `${dir}/weights.bin`,
      /^File f: is a character device \(a link to \/dev\/zero\), not a regular file$/,
    );
    await refuses("/dev/urandom", /^File f: is a character device, not a regular file$/);
  });
});

Deno.test("readRegularFile() refuses a directory, and says a missing file does not exist", async () => {
  await inTempDir(async (dir) => {
    await refuses(dir, /^File f: is a directory, not a regular file$/);
    const missing = await refuses(`${dir}/nope`, /^File f: does not exist$/);
    assert.ok(missing.cause instanceof Deno.errors.NotFound);
  });
});

Deno.test("readRegularFile() refuses a sparse 2 GiB file that should be 1 KiB from its stat, in well under a second", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/weights.bin`;
    await sparseFile(path, 2 ** 31);
    const start = performance.now();
    await refuses(
      path,
      /^File f: has 2147483648 bytes, the manifest expects 1024 \(truncated, or from another save\)$/,
      { maxBytes: 2 ** 40, expect: { bytes: 1024, by: "the manifest", hint: "truncated, or from another save" } },
    );
    assert.ok(performance.now() - start < 1000);
  });
});

Deno.test("readRegularFile() refuses a sparse 1 GiB file above its bound, naming the size and the bound", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/manifest.json`;
    await sparseFile(path, 2 ** 30);
    await refuses(
      path,
      /^File f: is 1073741824 bytes \(1 GiB\), more than the 16777216 bytes \(16 MiB\) a manifest may have$/,
      { what: "a manifest" },
    );
  });
});

Deno.test("bytesText() gives the size in bytes, and in KiB, MiB or GiB when that large", () => {
  assert.equal(bytesText(12), "12 bytes");
  assert.equal(bytesText(1536), "1536 bytes (1.5 KiB)");
  assert.equal(bytesText(16 * 2 ** 20), "16777216 bytes (16 MiB)");
});
