// Command-line parsing shared by the subcommands: typed flags, nonce lists, and usage errors (exit code 2).
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean }>;

export function parseFlags<T extends FlagSpec>(argv: string[], spec: T) {
  try {
    return parseArgs({ args: argv, options: spec, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Flags and positional arguments, for a command that takes operands (a file). */
export function parseCommandLine<T extends FlagSpec>(argv: string[], spec: T) {
  try {
    return parseArgs({ args: argv, options: spec, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** `--help` or `-h` anywhere: the command prints its usage instead of running. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

export function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`);
  return value;
}

/** "0,1,2", "0-63", "5,10-12": order as given, duplicates kept. */
export function parseNonces(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const item = part.trim();
    const range = /^(\d+)-(\d+)$/.exec(item);
    if (range) {
      const [a, b] = [Number(range[1]), Number(range[2])];
      if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b)) throw new UsageError(`--nonces: ${item} is not a safe integer range`);
      if (b < a) throw new UsageError(`--nonces: range ${item} is descending`);
      if (b - a >= 1_000_000) throw new UsageError(`--nonces: range ${item} is longer than 1,000,000 nonces`);
      for (let n = a; n <= b; n++) out.push(n);
    } else if (/^\d+$/.test(item)) {
      const n = Number(item);
      if (!Number.isSafeInteger(n)) throw new UsageError(`--nonces: ${item} is not a safe integer`);
      out.push(n);
    } else {
      throw new UsageError(`--nonces: "${item}" is not a non-negative integer or a range a-b`);
    }
  }
  return out;
}

export function parseNumber(text: string | undefined, flag: string, fallback: number, opts: { min?: number; integer?: boolean } = {}): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag}: "${text}" is not a number`);
  if (opts.integer && !Number.isInteger(n)) throw new UsageError(`${flag}: must be an integer`);
  if (opts.min !== undefined && n < opts.min) throw new UsageError(`${flag}: must be at least ${opts.min}`);
  return n;
}

export function parseBackend(text: string | undefined, fallback: 'cpu' | 'cuda' | 'auto'): 'cpu' | 'cuda' | 'auto' {
  const b = text ?? fallback;
  if (b !== 'cpu' && b !== 'cuda' && b !== 'auto') throw new UsageError(`--backend: must be cpu, cuda or auto`);
  return b;
}
