import assert from "node:assert/strict";
import { DatasetError } from "../errors.ts";
import { CATALOG } from "./catalog.ts";
import { sha256 } from "./files.ts";
import { loadDataset } from "./load.ts";

const shipped = new URL("./data/mnist/", import.meta.url);

Deno.test("loadDataset('mnist') reads the shipped files, offline", async () => {
  const mnist = await loadDataset("mnist", { cacheDir: "/nonexistent", download: false });
  assert.equal(mnist.train.count, 60000);
  assert.equal(mnist.test.count, 10000);
  assert.equal(mnist.features, 784);
  assert.equal(mnist.classes, 10);
  assert.deepEqual([...mnist.train.labels.subarray(0, 5)], [5, 0, 4, 1, 9]);
  assert.deepEqual([...mnist.test.labels.subarray(0, 5)], [7, 2, 1, 0, 4]);
  let max = 0;
  for (const v of mnist.train.x) max = Math.max(max, v);
  assert.equal(max, 1);
});

Deno.test("the shipped MNIST files are byte-identical to the originals (SHA-256)", async () => {
  for (const file of Object.values(CATALOG.mnist!.files)) {
    assert.equal(await sha256(await Deno.readFile(new URL(file.name, shipped))), file.sha256, file.name);
  }
});

Deno.test("loadDataset() takes the first N examples when asked", async () => {
  const small = await loadDataset("mnist", { trainCount: 100, testCount: 10 });
  assert.equal(small.train.count, 100);
  assert.equal(small.train.x.length, 100 * 784);
  assert.equal(small.test.labels.length, 10);
});

async function dataDirWith(edit?: (name: string, bytes: Uint8Array) => Uint8Array | null): Promise<string> {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/mnist`);
  for (const file of Object.values(CATALOG.mnist!.files)) {
    const bytes = await Deno.readFile(new URL(file.name, shipped));
    const out = edit ? edit(file.name, bytes) : bytes;
    if (out) await Deno.writeFile(`${dir}/mnist/${file.name}`, out);
  }
  return dir;
}

Deno.test("loadDataset() reads a data directory and rejects a corrupt or missing file there", async () => {
  const good = await dataDirWith();
  assert.equal((await loadDataset("mnist", { dataDir: good, testCount: 5 })).test.count, 5);
  const corrupt = await dataDirWith((name, bytes) => {
    if (name !== "t10k-labels-idx1-ubyte.gz") return bytes;
    const copy = bytes.slice();
    copy[100] = copy[100]! ^ 0xff;
    return copy;
  });
  await assert.rejects(
    () => loadDataset("mnist", { dataDir: corrupt }),
    (e: Error) =>
      e instanceof DatasetError &&
      /t10k-labels-idx1-ubyte\.gz: has SHA-256 [0-9a-f]{64}, expected f7ae60f9/.test(e.message),
  );
  const missing = await dataDirWith((name, bytes) => name.startsWith("train-labels") ? null : bytes);
  await assert.rejects(
    () => loadDataset("mnist", { dataDir: missing }),
    /train-labels-idx1-ubyte\.gz: not found in data directory/,
  );
  await assert.rejects(() => loadDataset("mnist", { dataDir: `${good}/nope` }), /data directory cannot be read/);
  for (const dir of [good, corrupt, missing]) await Deno.remove(dir, { recursive: true });
});

Deno.test("loadDataset() rejects an unknown name, listing the known ones", async () => {
  await assert.rejects(() => loadDataset("cifar"), /Unknown dataset "cifar": known datasets are mnist, fashion-mnist/);
});

Deno.test("loadDataset() verifies a download and leaves nothing in the cache when it is wrong", async () => {
  const cacheDir = await Deno.makeTempDir();
  const requested: string[] = [];
  const fakeFetch = ((input: URL) => {
    requested.push(String(input));
    return Promise.resolve(new Response(new Uint8Array([1, 2, 3])));
  }) as typeof fetch;
  await assert.rejects(
    () => loadDataset("fashion-mnist", { cacheDir, fetch: fakeFetch }),
    /fashion-mnist\.s3-website\.eu-central-1\.amazonaws\.com\/.*: has SHA-256 039058c6/,
  );
  assert.ok(requested.length > 0);
  assert.deepEqual([...Deno.readDirSync(cacheDir)], [], "no file written to the cache");
  await assert.rejects(
    () => loadDataset("fashion-mnist", { cacheDir, download: false }),
    /not found in the cache, and downloading is off/,
  );
  await Deno.remove(cacheDir, { recursive: true });
});

Deno.test("loadDataset(): a failed download names the files it expects and --data-dir (dataDir) to give them", async () => {
  const cacheDir = await Deno.makeTempDir();
  const offline = (() => Promise.reject(new TypeError("error sending request: dns error"))) as typeof fetch;
  const gone = (() => Promise.resolve(new Response("no", { status: 404 }))) as typeof fetch;
  const instead = new RegExp(
    "; or put train-images-idx3-ubyte\\.gz, train-labels-idx1-ubyte\\.gz, t10k-images-idx3-ubyte\\.gz, " +
      "t10k-labels-idx1-ubyte\\.gz in a directory DIR \\(as DIR/fashion-mnist/FILE or DIR/FILE\\) and pass " +
      "--data-dir DIR \\(dataDir in loadDataset\\)$",
  );
  for (
    const [fetcher, why] of [[offline, /cannot be downloaded \(error sending request: dns error\)/], [
      gone,
      /was not found on the server \(HTTP 404\)/,
    ]] as const
  ) {
    await assert.rejects(
      () => loadDataset("fashion-mnist", { cacheDir, fetch: fetcher }),
      (e: Error) => e instanceof DatasetError && why.test(e.message) && instead.test(e.message),
    );
  }
  assert.deepEqual([...Deno.readDirSync(cacheDir)], [], "no file written to the cache");
  await Deno.remove(cacheDir, { recursive: true });
});

Deno.test("loadDataset() stops a download that is longer than the file can be, and caches nothing", async () => {
  const cacheDir = await Deno.makeTempDir();
  // A body without end (as from a server that streams /dev/zero): refused once past the catalog's size.
  const endless = (() =>
    Promise.resolve(
      new Response(
        new ReadableStream({ pull: (controller) => controller.enqueue(new Uint8Array(64 * 1024)) }),
      ),
    )) as typeof fetch;
  await assert.rejects(
    () => loadDataset("fashion-mnist", { cacheDir, fetch: endless }),
    (e: Error) =>
      e instanceof DatasetError &&
      /-ubyte\.gz: is over \d+ bytes .*, more than the \d+ bytes .* fashion-mnist's \S+ may have$/.test(e.message),
  );
  const declared =
    (() => Promise.resolve(new Response("x", { headers: { "content-length": String(2 ** 40) } }))) as typeof fetch;
  await assert.rejects(
    () => loadDataset("fashion-mnist", { cacheDir, fetch: declared }),
    /is 1099511627776 bytes \(1024 GiB\), more than/,
  );
  assert.deepEqual([...Deno.readDirSync(cacheDir)], [], "no file written to the cache");
  await Deno.remove(cacheDir, { recursive: true });
});

const sharedDir = new URL("../../shared/datasets/", import.meta.url);
const haveShared = (() => {
  try {
    return Deno.statSync(new URL("fashion-mnist/", sharedDir)).isDirectory;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "loadDataset('fashion-mnist') reads ../shared/datasets when it is there",
  ignore: !haveShared,
  fn: async () => {
    const fashion = await loadDataset("fashion-mnist", { dataDir: sharedDir.pathname, testCount: 100 });
    assert.equal(fashion.train.count, 60000);
    assert.equal(fashion.test.count, 100);
  },
});
