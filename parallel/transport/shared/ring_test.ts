import assert from "node:assert/strict";
import { SharedRing } from "./_ring.ts";

// The ring header's int32s (see `_ring.ts`): items written, items read, slots, floats, label bytes.
const WRITTEN = 0, READ = 1, SLOTS = 2, FLOATS = 3, LABELS = 4;
// Where slot k's header starts (int32 index) and its rows, for a ring of `ring.buffer`.
const slotHeader = (ring: SharedRing, k: number) => (64 + k * (ring.buffer.byteLength - 64) / ring.slots) / 4;
const ROWS = 1;

/** A writer and a reader of one new ring, with one item (step 7, `rows` rows) published. */
function published(floats: number, labelBytes: number, rows: number, labels: number[]) {
  const writer = new SharedRing(2, floats, labelBytes);
  writer.claim(Math.min(floats, 2), "test").set([1, 2].slice(0, floats));
  writer.publish(7, rows, new Uint8Array(labels));
  return { writer, reader: new SharedRing(writer.buffer) };
}

Deno.test("peek checks the length the reader computes against the slot: an integer from 0 to its floats", () => {
  const { reader } = published(4, 3, 2, [5, 6]);
  for (const [n, shown] of [[5, "5"], [-1, "-1"], [1.5, "1.5"], [NaN, "NaN"], [Infinity, "Infinity"]] as const) {
    assert.throws(
      () => reader.peek(() => n, "test"),
      new RegExp(
        `^Error: The test ring's item for step 7 \\(rows 2, a 0, b 0\\) has ${shown} values, not 0 to a slot's 4$`,
      ),
    );
  }
  assert.throws(() => reader.peek((rows) => rows * 3), /^Error: The shared ring's item for step 7 .* has 6 values/);
  assert.equal(reader.unread(), 1, "a refused peek leaves the item unread");
  const item = reader.peek((rows) => 2 * rows, "test")!;
  assert.equal(item.values.length, 4, "the whole slot");
  assert.deepEqual([...item.values.subarray(0, 2)], [1, 2]);
  assert.equal(reader.peek(() => 0, "test")!.values.length, 0);
});

Deno.test("peek checks the item's rows against the labels a slot holds, and the counters against the slots", () => {
  const { writer, reader } = published(4, 3, 2, [5, 6]);
  const ints = new Int32Array(reader.buffer), rows = slotHeader(reader, 0) + ROWS;
  for (const bad of [4, -1, 2 ** 31 - 1]) {
    ints[rows] = bad;
    assert.throws(
      () => reader.peek(() => 0, "input"),
      new RegExp(`^Error: The input ring's item for step 7 has ${bad} rows, not 0 to 3$`),
    );
  }
  ints[rows] = 3;
  assert.equal(reader.peek((r) => r, "input")!.rows, 3, "as many rows as label bytes");
  // A ring without labels (a message ring) limits its rows only through the values' length.
  const messages = published(4, 0, 9, []).reader;
  assert.equal(messages.peek(() => 0, "message")!.rows, 9);
  new Int32Array(messages.buffer)[slotHeader(messages, 0) + ROWS] = -1;
  assert.throws(() => messages.peek(() => 0, "message"), /has -1 rows, not 0 to 2147483647$/);
  // Counters corrupted after the rings were made: more unread than slots, or the written count behind the read one.
  for (const written of [3, 5, -1, 2 ** 31 - 1]) {
    ints[WRITTEN] = written;
    assert.throws(
      () => reader.peek(() => 0, "input"),
      new RegExp(`^Error: The input ring's written count ${written} is not 1 to 2 items past its read count 0$`),
    );
  }
  ints[WRITTEN] = 1;
  assert.equal(writer.pending(), 1);
  assert.equal(reader.peek(() => 0, "input")!.step, 7);
});

Deno.test("publish refuses labels that do not fit the slot or are fewer than the rows, never cutting them", () => {
  const ring = new SharedRing(2, 4, 3);
  ring.claim(4, "activations").set([1, 2, 3, 4]);
  assert.throws(
    () => ring.publish(1, 3, new Uint8Array([1, 2, 3, 4])),
    /^Error: 4 labels do not fit a activations ring slot's 3 label bytes \(step 1\)$/,
  );
  assert.throws(
    () => ring.publish(1, 3, new Uint8Array([1, 2])),
    /^Error: 2 labels are fewer than the 3 rows of step 1 on the activations ring$/,
  );
  assert.throws(
    () => ring.publish(1, 4, new Uint8Array(0)),
    /^Error: 4 rows do not fit a activations ring slot's 3 label bytes \(step 1\)$/,
  );
  for (const [step, rows, a, b] of [[-1, 1, 0, 0], [1.5, 1, 0, 0], [2 ** 31, 1, 0, 0]]) {
    assert.throws(
      () => ring.publish(step!, rows!, new Uint8Array(0), a, b),
      /^RangeError: The activations ring cannot publish step/,
    );
  }
  for (const [rows, a, b] of [[-1, 0, 0], [0.5, 0, 0], [1, 2 ** 31, 0], [1, 0, NaN]]) {
    assert.throws(() => ring.publish(1, rows!, new Uint8Array(0), a, b), /^RangeError: .* with rows/);
  }
  assert.equal(ring.pending(), 0, "nothing refused was published");
  ring.publish(1, 3, new Uint8Array([7, 8, 9]), 2, 3);
  assert.throws(
    () => ring.publish(2, 0, new Uint8Array(0)),
    /^Error: The activations ring's step 2 was published without a claim$/,
  );
  const item = new SharedRing(ring.buffer).peek((rows) => rows + 1, "activations")!;
  assert.deepEqual([item.step, item.rows, item.a, item.b], [1, 3, 2, 3]);
  assert.deepEqual([...item.labels], [7, 8, 9]);
  assert.deepEqual([...item.values], [1, 2, 3, 4]);
  // Without label bytes (a message ring): rows with no labels are fine, any label is too many.
  const messages = new SharedRing(1, 2, 0);
  messages.claim(0, "message");
  assert.throws(
    () => messages.publish(3, 1, new Uint8Array([1])),
    /^Error: 1 labels do not fit a message ring slot's 0/,
  );
  messages.publish(3, 50, new Uint8Array(0));
  assert.equal(messages.pending(), 1);
  assert.throws(
    () => new SharedRing(1, 2, 0).claim(-1, "message"),
    /^RangeError: A message ring slot cannot hold -1 values$/,
  );
  assert.throws(() => new SharedRing(1, 2, 0).claim(0.5, "message"), /cannot hold 0.5 values$/);
});

Deno.test("a ring made of a buffer checks its header: sizes, byteLength and counters", () => {
  const made = new SharedRing(3, 5, 2);
  const size = made.buffer.byteLength;
  assert.equal(size, 64 + 3 * (64 + 64 + 64));
  /** The ring's buffer with its header edited. */
  const forged = (edit: (head: Int32Array) => void, bytes = size) => {
    const buffer = new SharedArrayBuffer(bytes);
    new Uint8Array(buffer).set(new Uint8Array(made.buffer).subarray(0, Math.min(size, bytes)));
    edit(new Int32Array(buffer, 0, Math.min(16, bytes / 4)));
    return buffer;
  };
  const again = new SharedRing(forged(() => {}));
  assert.deepEqual([again.slots, again.floats, again.labelBytes], [3, 5, 2]);
  const cases: [string, (head: Int32Array) => void, RegExp, number?][] = [
    ["no slots", (h) => h[SLOTS] = 0, /^RangeError: A ring's slots must be an integer from 1 to 1073741824, got 0$/],
    ["negative slots", (h) => h[SLOTS] = -3, /slots .* got -3$/],
    ["too many slots", (h) => h[SLOTS] = 2 ** 30 + 1, /slots .* got 1073741825$/],
    [
      "negative floats",
      (h) => h[FLOATS] = -1,
      /^RangeError: A ring's floats must be an integer from 0 to 2147483647, got -1$/,
    ],
    ["negative labels", (h) => h[LABELS] = -64, /^RangeError: A ring's labelBytes must .* got -64$/],
    [
      "more slots",
      (h) => h[SLOTS] = 4,
      /^RangeError: A ring's byteLength must be 832 \(4 slots of 192 bytes .*\), got 640$/,
    ],
    ["fewer slots", (h) => h[SLOTS] = 2, /byteLength must be 448 .* got 640$/],
    [
      "more floats",
      (h) => h[FLOATS] = 17,
      /byteLength must be 832 \(3 slots of 256 bytes for 17 floats and 2 labelBytes\)/,
    ],
    ["more labels", (h) => h[LABELS] = 65, /byteLength must be 832 .* got 640$/],
    ["huge floats", (h) => h[FLOATS] = 2 ** 31 - 1, /byteLength must be \d+ .* got 640$/],
    ["a short buffer", () => {}, /^RangeError: A ring's byteLength must be at least 64, got 32$/, 32],
    ["a longer buffer", () => {}, /^RangeError: A ring's byteLength must be 640 .* got 704$/, size + 64],
    [
      "a negative written count",
      (h) => h[WRITTEN] = -1,
      /^RangeError: A ring's written count must be from 0 to 2147483645, got -1$/,
    ],
    ["a negative read count", (h) => h[READ] = -5, /^RangeError: A ring's read count must be .* got -5$/],
    [
      "a count at the wrap",
      (h) => h[WRITTEN] = made.wrap,
      /written count must be from 0 to 2147483645, got 2147483646$/,
    ],
    ["a count past int32", (h) => h[READ] = 2 ** 31 - 1, /read count .* got 2147483647$/],
    [
      "read ahead of written",
      (h) => h[READ] = 1,
      /^RangeError: A ring's written count 0 is 2147483645 past its read count 1/,
    ],
    [
      "more unread than slots",
      (h) => h[WRITTEN] = 4,
      /written count 4 is 4 past its read count 0 \(mod 2147483646\), more than its 3 slots$/,
    ],
    [
      "too many unread across the wrap",
      (h) => h.set([2, made.wrap - 2]),
      /written count 2 is 4 past its read count 2147483644/,
    ],
  ];
  for (const [what, edit, error, bytes] of cases) {
    assert.throws(() => new SharedRing(forged(edit, bytes)), error, what);
  }
  // Full, and full across the wrap, are sane.
  assert.equal(new SharedRing(forged((h) => h.set([3, 0]))).pending(), 3);
  assert.equal(new SharedRing(forged((h) => h.set([1, made.wrap - 2]))).unread(), 3);
  // What is not a fixed-length SharedArrayBuffer is no ring; nor are sizes that are not integers in range.
  assert.throws(() => new SharedRing(new ArrayBuffer(size) as unknown as SharedArrayBuffer), /^TypeError/);
  assert.throws(() => new SharedRing(new SharedArrayBuffer(size, { maxByteLength: 2 * size })), /^TypeError/);
  for (
    const [slots, floats, labels, field] of [
      [0, 1, 1, "slots"],
      [1.5, 1, 1, "slots"],
      [2, 1.5, 0, "floats"],
      [2, -1, 0, "floats"],
      [2, 4, NaN, "labelBytes"],
      [2, 2 ** 31, 0, "floats"],
      [2 ** 30 + 1, 0, 0, "slots"],
    ]
  ) {
    assert.throws(
      () => new SharedRing(slots as number, floats as number, labels as number),
      new RegExp(`^RangeError: A ring's ${field} must be`),
    );
  }
});

Deno.test("items pass through a ring across its counters' wrap, each in the next slot, checked whole", () => {
  for (const slots of [1, 3, 4, 5, 7]) {
    const made = new SharedRing(slots, 9, 5);
    const wrap = made.wrap;
    assert.ok(wrap % slots === 0 && wrap <= 2 ** 31 && wrap > 2 ** 31 - slots, `wrap ${wrap} for ${slots} slots`);
    if (slots === 4) assert.equal(wrap, 2 ** 31, "a power of two wraps where int32 does");
    const start = wrap - 3;
    new Int32Array(made.buffer, 0, 2).set([start, start]);
    const writer = new SharedRing(made.buffer), stride = (made.buffer.byteLength - 64) / slots;
    let reader = new SharedRing(made.buffer);
    let sent = 0, got = 0, lastSlot = (start - 1) % slots;
    const items = 10 * slots + 20;
    for (let round = 0; got < items; round++) {
      // Write 1 to `slots` items (the ring full at times), then read all but maybe one of them.
      for (let k = 0; k <= round % slots && sent < items && writer.pending() < slots; k++, sent++) {
        const step = 1000 + sent, rows = sent % 6, a = sent % 4;
        writer.claim(rows + a, "test").set(Array.from({ length: rows + a }, (_, i) => step + i / 10));
        writer.publish(step, rows, Uint8Array.from({ length: rows }, (_, i) => (sent + i) % 256), a, -1 - sent);
      }
      assert.equal(writer.pending(), reader.unread());
      if (writer.pending() === slots) assert.throws(() => writer.claim(0, "test"), /ring is full/);
      if (round % 5 === 4) reader = new SharedRing(made.buffer); // a reader made of the buffer mid-stream
      const keep = round % 2 === 1 && sent < items ? 1 : 0;
      while (reader.unread() > keep) {
        const item = reader.peek((rows, a) => rows + a, "test")!;
        const { step, rows, a, b, labels, values } = item;
        assert.deepEqual([step, rows, a, b], [1000 + got, got % 6, got % 4, -1 - got]);
        assert.deepEqual([...labels.subarray(0, rows)], Array.from({ length: rows }, (_, i) => (got + i) % 256));
        assert.deepEqual(values, Float32Array.from({ length: rows + a }, (_, i) => step + i / 10));
        const slot = (values.byteOffset - 64 - 128) / stride;
        assert.equal(slot, (lastSlot + 1) % slots, `item ${got} of ${slots} slots goes in the slot after the last`);
        lastSlot = slot;
        reader.done(step, "test");
        got++;
      }
    }
    const counters = [...new Int32Array(made.buffer, 0, 2)];
    assert.deepEqual(counters, [items - 3, items - 3], "the counters wrapped to small numbers");
  }
});
