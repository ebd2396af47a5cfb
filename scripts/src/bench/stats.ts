// The few statistics the benchmark reports: medians, percentiles (nearest rank), rounding for display.

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The nearest-rank percentile `p` (0–100) of `xs`: a value that occurred, never an interpolation. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export function round(x: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
}

/** Rounds to `digits` significant digits (latencies span microseconds to minutes). */
export function roundSignificant(x: number, digits = 4): number {
  return x === 0 || !Number.isFinite(x) ? x : Number(x.toPrecision(digits));
}
