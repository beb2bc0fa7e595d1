// Private to the bench scripts: small statistics and machine readings they all print.

/** The median of `xs` (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The 1-, 5- and 15-minute load averages as text, or `unknown` where they cannot be read (no --allow-sys). */
export function loadAverages(): string {
  try {
    return Deno.loadavg().map((l) => l.toFixed(2)).join(" ");
  } catch {
    return "unknown (--allow-sys)";
  }
}
