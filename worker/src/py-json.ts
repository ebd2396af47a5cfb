// Python's json.dumps, where its exact bytes matter: the signed message (json.dumps(..., indent=4, sort_keys=True),
// docs/pyworker.md §2.3) and float fields of the reports (Python writes 1.0 where JavaScript writes 1).

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/** A JSON string literal as Python writes it with ensure_ascii=True: everything outside " ".."~" escaped. */
export function pyJsonString(s: string): string {
  // Per UTF-16 code unit, which is exactly Python's surrogate-pair escaping of characters above U+FFFF.
  const escaped = s.replace(/["\\]|[^\x20-\x7e]/g, (c) => {
    const short = SHORT_ESCAPES[c];
    if (short !== undefined) return short;
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  return `"${escaped}"`;
}

/** Python's repr(float): shortest round-trip digits, exponent form below 1e-4 and from 1e16 on. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const fracPart = digits.slice(exp + 1);
  return `${sign}${intPart}.${fracPart === '' ? '0' : fracPart}`;
}

/**
 * json.dumps(value, indent=4, sort_keys=True) for values decoded from JSON. A JSON number that is an integer is
 * written as one (JSON.parse cannot tell 1.0 from 1; the signed value is a URL string in practice).
 */
export function pyDumpsIndent4Sorted(value: unknown, level = 0): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pyFloat(value);
  if (typeof value === 'string') return pyJsonString(value);
  const inner = ' '.repeat(4 * (level + 1));
  const outer = ' '.repeat(4 * level);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((v) => inner + pyDumpsIndent4Sorted(v, level + 1));
    return `[\n${items.join(',\n')}\n${outer}]`;
  }
  const keys = Object.keys(value as object).sort(comparePyStrings);
  if (keys.length === 0) return '{}';
  const items = keys.map(
    (k) => `${inner}${pyJsonString(k)}: ${pyDumpsIndent4Sorted((value as Record<string, unknown>)[k], level + 1)}`,
  );
  return `{\n${items.join(',\n')}\n${outer}}`;
}

/** Python sorts str by code point; JavaScript's default sort compares UTF-16 code units. */
function comparePyStrings(a: string, b: string): number {
  const ca = Array.from(a, (c) => c.codePointAt(0) ?? 0);
  const cb = Array.from(b, (c) => c.codePointAt(0) ?? 0);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) if (ca[i] !== cb[i]) return ca[i] - cb[i];
  return ca.length - cb.length;
}

/** A JSON object with chosen fields written as Python floats, in insertion order (the report bodies). */
export function pyJsonObject(fields: Record<string, unknown>, floatFields: ReadonlySet<string>): string {
  const parts = Object.entries(fields).map(([k, v]) => {
    const text = floatFields.has(k) && typeof v === 'number' ? pyFloat(v) : JSON.stringify(v);
    return `${JSON.stringify(k)}: ${text}`;
  });
  return `{${parts.join(', ')}}`;
}
