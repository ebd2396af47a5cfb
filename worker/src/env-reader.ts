// Reading environment variables into typed values, collecting every problem (config.ts builds the WorkerConfig).

export type Env = Record<string, string | undefined>;

/** Reads one variable after another, collecting every problem instead of stopping at the first. */
export class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  str(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  required(name: string): string {
    const v = this.raw(name);
    if (v === undefined) this.problems.push(`${name} is required`);
    return v ?? '';
  }

  int(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
      this.problems.push(`${name} must be an integer in [${min}, ${max}], got "${v}"`);
      return fallback;
    }
    return n;
  }

  /** Python's strtobool. */
  bool(name: string, fallback: boolean): boolean {
    const v = this.raw(name)?.toLowerCase();
    if (v === undefined) return fallback;
    if (['y', 'yes', 't', 'true', 'on', '1'].includes(v)) return true;
    if (['n', 'no', 'f', 'false', 'off', '0'].includes(v)) return false;
    this.problems.push(`${name} must be true or false, got "${v}"`);
    return fallback;
  }

  positiveNumber(name: string): number | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) {
      this.problems.push(`${name} must be a positive number (workload units per second), got "${v}"`);
      return undefined;
    }
    return n;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if ((allowed as readonly string[]).includes(v)) return v as T;
    this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${v}"`);
    return fallback;
  }

  url(name: string, fallback: string): string {
    const v = (this.raw(name) ?? fallback).replace(/\/+$/, '');
    if (!isHttpUrl(v)) this.problems.push(`${name} must be an absolute http(s) URL, got "${v}"`);
    return v;
  }

  /** A JSON array of non-empty strings (patterns contain spaces, dots and colons, so no separator works). */
  patterns(name: string, fallback: string[]): string[] {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    try {
      const parsed: unknown = JSON.parse(v);
      if (Array.isArray(parsed) && parsed.every((p) => typeof p === 'string' && p !== '')) return parsed as string[];
    } catch {
      // reported below
    }
    this.problems.push(`${name} must be a JSON array of non-empty strings, got ${JSON.stringify(v)}`);
    return fallback;
  }
}

export function isHttpUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
