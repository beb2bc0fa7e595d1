// Private helpers of the windowed layers (conv2d, maxPool2d): spec fields given as `n` or `[h, w]`, and the
// geometry of a window sliding over an image with TensorFlow's "same" / "valid" padding.
import { SpecError } from "../errors.ts";
import { type Shape, showShape } from "./layer.ts";

/** The padding modes, as in Keras: `valid` (no padding, the default) or `same` (zeros around, output = in / stride). */
export const PADDINGS = ["valid", "same"] as const;

/** A padding mode. */
export type Padding = typeof PADDINGS[number];

/** `[h, w]` from a spec field given as a positive integer `n` (meaning `[n, n]`) or `[h, w]`; `fallback` if undefined. */
export function pair(path: string, value: unknown, fallback?: [number, number]): [number, number] {
  if (value === undefined && fallback !== undefined) return fallback;
  const ok = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n) && n > 0;
  if (ok(value)) return [value, value];
  if (Array.isArray(value) && value.length === 2 && ok(value[0]) && ok(value[1])) return [value[0], value[1]];
  throw new SpecError(path, value, "must be a positive integer or [height, width] of positive integers");
}

/** A pair as the spec writes it: `n` when both are equal, else `[h, w]`. */
export function compactPair([h, w]: readonly [number, number]): number | [number, number] {
  return h === w ? h : [h, w];
}

/** Where a window goes along one axis: output length, zeros added before and after. */
export interface AxisWindow {
  /** Output length. */
  out: number;
  /** Zeros added before the first input element. */
  before: number;
  /** Zeros added after the last input element (some may never be read). */
  after: number;
}

/** TensorFlow's window geometry along one axis: "same" gives ceil(in / stride), "valid" ceil((in - k + 1) / stride). */
export function axisWindow(length: number, kernel: number, stride: number, padding: Padding): AxisWindow {
  if (padding === "valid") return { out: Math.ceil((length - kernel + 1) / stride), before: 0, after: 0 };
  const out = Math.ceil(length / stride);
  const total = Math.max((out - 1) * stride + kernel - length, 0);
  return { out, before: Math.floor(total / 2), after: total - Math.floor(total / 2) };
}

/** The geometry of a window over an image: output height and width, and the padding on each side. */
export interface ImageWindow {
  /** Output height and width. */
  out: [number, number];
  /** `[[top, bottom], [left, right]]`. */
  pad: [[number, number], [number, number]];
}

/**
 * Checks that `inputShape` is an image `[H, W, C]` that a `size` window fits (with `padding`), and returns the
 * geometry. Throws a SpecError naming `path` and both shapes otherwise.
 */
export function imageWindow(
  path: string,
  type: string,
  inputShape: Shape,
  size: [number, number],
  strides: [number, number],
  padding: Padding,
  sizeField: string,
): ImageWindow {
  if (inputShape.length !== 3) {
    throw new SpecError(
      path,
      type,
      `takes images [height, width, channels], got input ${showShape(inputShape)}: give the network's input as ` +
        `[H, W, C] (e.g. [28, 28, 1]) and put ${type} layers before any flatten or dense layer`,
    );
  }
  const [height, width] = inputShape as [number, number, number];
  if (padding === "valid" && (size[0] > height || size[1] > width)) {
    throw new SpecError(
      `${path}.${sizeField}`,
      compactPair(size),
      `gives a ${size[0]}x${size[1]} window larger than the ${showShape(inputShape)} input with padding "valid": ` +
        `use a smaller ${sizeField} or padding "same"`,
    );
  }
  const rows = axisWindow(height, size[0], strides[0], padding);
  const cols = axisWindow(width, size[1], strides[1], padding);
  return { out: [rows.out, cols.out], pad: [[rows.before, rows.after], [cols.before, cols.after]] };
}
