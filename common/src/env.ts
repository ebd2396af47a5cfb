// Reading a service's configuration from the environment: one reader for both services, so every variable follows
// the same rules. A blank value means the default. Booleans take one grammar (true/false, 1/0, yes/no, on/off,
// t/f, y/n; any case). Durations are seconds, fractions allowed, except where the name ends in _MS: whole
// milliseconds; either way they are held in milliseconds. Every problem is collected, then reported together
// (ConfigError), so an operator fixes a broken configuration in one go.
import { CodedError } from './errors.js';

export type Env = Record<string, string | undefined>;

/** A configuration that cannot run: every problem, one line each. */
export class ConfigError extends CodedError {
  constructor(service: string, readonly problems: readonly string[]) {
    super('ERR_CONFIG', `invalid ${service} configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

const TRUE = ['true', '1', 'yes', 'on', 't', 'y'];
const FALSE = ['false', '0', 'no', 'off', 'f', 'n'];

export class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  /** Throws a ConfigError naming every problem found so far. */
  check(service: string): void {
    if (this.problems.length > 0) throw new ConfigError(service, this.problems);
  }

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
      return this.problem(name, v, `an integer in [${min}, ${max}]`, fallback);
    }
    return n;
  }

  /** A finite number above `exclusiveMin` (default 0); `fallback` when blank. */
  number<F extends number | undefined>(name: string, fallback: F, exclusiveMin = 0): number | F {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= exclusiveMin) return this.problem(name, v, `a number above ${exclusiveMin}`, fallback);
    return n;
  }

  /** A duration in milliseconds: whole milliseconds when the name ends in _MS, else seconds (fractions allowed).
   *  At least `minMs` (default 1: a limit of zero would be no limit). */
  duration(name: string, fallbackMs: number, minMs = 1): number {
    const v = this.raw(name);
    if (v === undefined) return fallbackMs;
    if (name.endsWith('_MS')) return this.int(name, fallbackMs, minMs);
    const s = Number(v);
    if (!Number.isFinite(s) || Math.round(s * 1000) < minMs) {
      return this.problem(name, v, `seconds, at least ${minMs / 1000}`, fallbackMs);
    }
    return Math.round(s * 1000);
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.raw(name)?.toLowerCase();
    if (v === undefined) return fallback;
    if (TRUE.includes(v)) return true;
    if (FALSE.includes(v)) return false;
    return this.problem(name, v, 'true or false', fallback);
  }

  /** One of `allowed` (compared in lower case). */
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.raw(name)?.toLowerCase();
    if (v === undefined) return fallback;
    if ((allowed as readonly string[]).includes(v)) return v as T;
    return this.problem(name, v, `one of ${allowed.join(', ')}`, fallback);
  }

  /** Comma-separated non-negative integers; undefined when blank. */
  intList(name: string): number[] | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    const items = v.split(',').map((s) => s.trim());
    if (!items.every((s) => /^\d+$/.test(s))) return this.problem(name, v, 'comma-separated integers', undefined);
    return items.map(Number);
  }

  /** An absolute http(s) URL, trailing slashes removed. */
  url(name: string, fallback: string): string {
    const v = (this.raw(name) ?? fallback).replace(/\/+$/, '');
    if (!isHttpUrl(v)) this.problem(name, v, 'an absolute http(s) URL', v);
    return v;
  }

  /** A JSON array of non-empty strings (for values that contain spaces, dots and colons, where no separator works). */
  stringArray(name: string, fallback: string[]): string[] {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    try {
      const parsed: unknown = JSON.parse(v);
      if (Array.isArray(parsed) && parsed.every((p) => typeof p === 'string' && p !== '')) return parsed as string[];
    } catch {
      // reported below
    }
    return this.problem(name, v, 'a JSON array of non-empty strings', fallback);
  }

  private problem<T>(name: string, value: string, expected: string, fallback: T): T {
    this.problems.push(`${name} must be ${expected}, got ${JSON.stringify(value)}`);
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
