// Reading JSON values the way the Python SDK and handler did (docs/runpod.md §5.2, §12): Python's truthiness (a
// yielded value's `error`, `input.warmup_mode`), and what counts as an object (a dict).

/** False for undefined, null, false, 0, NaN, "", [] and {}; true otherwise. */
export function pyTruthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === '') return false;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
