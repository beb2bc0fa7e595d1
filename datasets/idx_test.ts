import assert from "node:assert/strict";
import { DatasetError } from "../errors.ts";
import { checkImagesAndLabels, gunzip, parseIdx, readIdx } from "./idx.ts";
import { gzip, idx } from "../tests/_helpers.ts";

function throwsDataset(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof DatasetError, `expected DatasetError, got ${e}`);
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("parseIdx() reads images and labels", () => {
  const images = parseIdx(idx(3, [2, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), "img", 3);
  assert.deepEqual(images.dims, [2, 2, 3]);
  assert.deepEqual([...images.data], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.deepEqual([...parseIdx(idx(1, [3], [7, 8, 9]), "lab", 1).data], [7, 8, 9]);
});

Deno.test("parseIdx() rejects a wrong magic number, a short header, truncated and trailing data", () => {
  throwsDataset(() => parseIdx(idx(1, [3], [1, 2, 3]), "f", 3), /f: has magic number 0x00000801, expected 0x00000803/);
  const float = idx(1, [1], [0, 0, 0, 0]);
  float[2] = 0x0d;
  throwsDataset(() => parseIdx(float, "f", 1), /magic number 0x00000d01/);
  throwsDataset(() => parseIdx(new Uint8Array([0, 0]), "f", 1), /too short for an IDX header \(2 bytes\)/);
  throwsDataset(
    () => parseIdx(idx(3, [2, 2, 3], []).subarray(0, 10), "f", 3),
    /truncated inside its header \(10 of 16 bytes\)/,
  );
  throwsDataset(
    () => parseIdx(idx(1, [4], [1, 2, 3]), "f", 1),
    /has 3 data bytes, but its dimensions \[4\] need 4 \(truncated\)/,
  );
  throwsDataset(() => parseIdx(idx(1, [2], [1, 2, 3]), "f", 1), /\(trailing data\)/);
  throwsDataset(() => parseIdx(idx(3, [0, 28, 28], []), "f", 3), /zero dimension/);
});

Deno.test("readIdx() reads gzip and raw files, and rejects a .gz that is not gzip or is cut short", async () => {
  const raw = idx(1, [3], [4, 5, 6]);
  assert.deepEqual([...(await readIdx(raw, "labels", 1)).data], [4, 5, 6]);
  const gz = await gzip(raw);
  assert.deepEqual([...(await readIdx(gz, "labels.gz", 1)).data], [4, 5, 6]);
  await assert.rejects(() => readIdx(raw, "labels.gz", 1), /labels\.gz: is not gzip data/);
  await assert.rejects(
    () => gunzip(gz.subarray(0, gz.length - 6), "cut.gz"),
    /cut\.gz: is corrupt or truncated gzip data/,
  );
});

Deno.test("checkImagesAndLabels() rejects mismatched counts and labels out of range", () => {
  const images = parseIdx(idx(3, [2, 1, 1], [0, 0]), "img", 3);
  const files = { images: "img", labels: "lab" };
  throwsDataset(
    () => checkImagesAndLabels(images, parseIdx(idx(1, [3], [0, 1, 2]), "lab", 1), files, 10),
    /lab: has 3 labels, but img has 2 images/,
  );
  throwsDataset(
    () => checkImagesAndLabels(images, parseIdx(idx(1, [2], [0, 10]), "lab", 1), files, 10),
    /label 10 at index 1 is out of range \[0, 10\)/,
  );
});
