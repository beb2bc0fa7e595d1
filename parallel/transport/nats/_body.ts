// Private: the body of a message of a run over NATS, before it is sealed: JSON with its typed arrays laid out after
// it, and decoding that checks every length, index and offset against the bytes there are. Bytes that are not such a
// body are a `WireError`, which the receiver counts and drops.

/** Bytes that are not a message of this run: the receiver drops them and counts them. */
export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WireError";
  }
}

const encoder = new TextEncoder(), decoder = new TextDecoder("utf-8", { fatal: true });
const pad4 = (n: number) => (n + 3) & ~3;

/**
 * A message as bytes: a 4-byte length, the JSON of `message` with each typed array replaced by `{ $a: index, t, n }`,
 * padding to 4, then each array's bytes (4-aligned), so that decoding makes views, not copies.
 */
export function encodeBody(message: unknown): Uint8Array {
  const arrays: (Float32Array | Uint8Array)[] = [];
  const json = JSON.stringify(message, (_key, v) => {
    if (v instanceof Float32Array || v instanceof Uint8Array) {
      arrays.push(v);
      return { $a: arrays.length - 1, t: v instanceof Float32Array ? "f" : "u", n: v.length };
    }
    return v;
  });
  const head = encoder.encode(json);
  let size = pad4(4 + head.length);
  const offsets = arrays.map((a) => {
    const at = size;
    size = pad4(size + a.byteLength);
    return at;
  });
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, head.length);
  out.set(head, 4);
  arrays.forEach((a, i) => out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offsets[i]!));
  return out;
}

/**
 * The message of `bytes` (`encodeBody`'s); its arrays are views of a copy of `bytes`. Every length, index and
 * offset is checked against the bytes there are.
 *
 * @throws {WireError} If the bytes are not such a message.
 */
export function decodeBody(bytes: Uint8Array): unknown {
  if (bytes.length < 4) throw new WireError(`a message of ${bytes.length} bytes is shorter than its length field`);
  const own = new Uint8Array(bytes.length); // a copy, 4-aligned (a view of a larger buffer may not be)
  own.set(bytes);
  const length = new DataView(own.buffer).getUint32(0);
  if (length > own.length - 4) throw new WireError(`the head says ${length} bytes, the message has ${own.length - 4}`);
  let text: string, parsed: unknown;
  try {
    text = decoder.decode(own.subarray(4, 4 + length));
    parsed = JSON.parse(text);
  } catch (error) {
    throw new WireError(`the head is not JSON: ${(error as Error).message.split("\n")[0]}`);
  }
  let at = pad4(4 + length), next = 0;
  const array = (v: Record<string, unknown>) => {
    const { $a: index, t, n } = v;
    if (index !== next++) throw new WireError(`array ${String(index)} where array ${next - 1} was expected`);
    if (t !== "f" && t !== "u") throw new WireError(`array ${index} has type ${JSON.stringify(t)}`);
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
      throw new WireError(`array ${index} has length ${JSON.stringify(n)}`);
    }
    const bytesOf = t === "f" ? 4 * n : n;
    if (at + bytesOf > own.length) {
      throw new WireError(`array ${index} (${bytesOf} bytes at ${at}) runs past the message's ${own.length} bytes`);
    }
    const a = t === "f" ? new Float32Array(own.buffer, at, n) : new Uint8Array(own.buffer, at, n);
    at = pad4(at + bytesOf);
    return a;
  };
  // Depth-first in key order, as JSON.stringify laid the arrays out; a depth limit against deeply nested junk.
  const walk = (v: unknown, depth: number): unknown => {
    if (v === null || typeof v !== "object") return v;
    if (depth > 32) throw new WireError("the head is nested more than 32 deep");
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) v[i] = walk(v[i], depth + 1);
      return v;
    }
    const o = v as Record<string, unknown>;
    if ("$a" in o) return array(o);
    for (const key of Object.keys(o)) o[key] = walk(o[key], depth + 1);
    return o;
  };
  return walk(parsed, 0);
}
