// Reading a results file for `llama-gpu-bench verify`: the NDJSON of a /generate or /pooled stream, checked for what
// any reader can check without computing (one block hash and key, each nonce reported once and where the job could
// have computed it, distances below r_target, counters that add up; counters.ts). The first problem is a UsageError
// naming the line (exit 2). Status lines ({"status": ...}) are skipped; an error line is kept as the stream's end.
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { UsageError } from '../args.js';
import { CounterCheck } from './counters.js';

export interface ExpectedJob {
  blockHash: string | undefined;
  publicKey: string | undefined;
  rTarget: number;
  startNonce: number;
}

export interface Reported {
  nonce: number;
  dist: number;
  /** 1-based line of the file. */
  line: number;
}

export interface ResultsFile {
  /** Non-empty lines read. */
  lines: number;
  resultLines: number;
  /** Every reported nonce, in file order. */
  reported: Reported[];
  blockHash: string;
  publicKey: string;
  /** Nonces the job says it computed (its last counters), when the lines carry them. */
  computed: number | undefined;
  /** The error line a stream ended with, if any. */
  streamError: { line: number; error: string } | undefined;
}

type Line = Record<string, unknown>;

export class ResultsChecker {
  private lines = 0;
  private resultLines = 0;
  private readonly reported: Reported[] = [];
  private readonly seen = new Map<number, number>();
  private blockHash: string | undefined;
  private publicKey: string | undefined;
  private streamError: ResultsFile['streamError'];
  private readonly counters: CounterCheck;

  constructor(private readonly name: string, private readonly job: ExpectedJob) {
    this.blockHash = job.blockHash;
    this.publicKey = job.publicKey;
    this.counters = new CounterCheck(job.startNonce);
  }

  /** Checks one line of the file (1-based `lineNo`); throws a UsageError naming it. */
  add(text: string, lineNo: number): void {
    if (text.trim() === '') return;
    this.lines++;
    const fail = (reason: string): never => {
      throw new UsageError(`${this.name} line ${lineNo}: ${reason}`);
    };
    let line: unknown;
    try {
      line = JSON.parse(text);
    } catch (err) {
      return fail(`not JSON (${(err as Error).message})`);
    }
    if (typeof line !== 'object' || line === null || Array.isArray(line)) return fail('not a JSON object');
    const l = line as Line;
    if (typeof l.error === 'string') {
      this.streamError ??= { line: lineNo, error: l.error };
      return;
    }
    if (!('nonces' in l)) {
      if (typeof l.status === 'string') return;
      return fail('neither a result line (nonces, dist) nor a status line');
    }
    this.resultLines++;
    this.checkResult(l, lineNo, fail);
  }

  finish(): ResultsFile {
    if (this.reported.length === 0) {
      throw new UsageError(`${this.name}: no reported nonces (${this.lines} lines, ${this.resultLines} result lines)`);
    }
    return {
      lines: this.lines, resultLines: this.resultLines, reported: this.reported,
      blockHash: this.blockHash as string, publicKey: this.publicKey as string, computed: this.counters.computed(),
      streamError: this.streamError,
    };
  }

  private checkResult(l: Line, lineNo: number, fail: (reason: string) => never): void {
    this.blockHash = this.sameString(l, 'block_hash', this.blockHash, fail);
    this.publicKey = this.sameString(l, 'public_key', this.publicKey, fail);
    const { nonces, dist } = l;
    if (!Array.isArray(nonces) || !Array.isArray(dist)) return fail('nonces and dist must be arrays');
    if (nonces.length !== dist.length) return fail(`${nonces.length} nonces but ${dist.length} distances`);
    const { rTarget, startNonce } = this.job;
    nonces.forEach((n: unknown, i) => {
      const d: unknown = dist[i];
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) fail(`nonces[${i}] is not a non-negative safe integer`);
      if (typeof d !== 'number' || !Number.isFinite(d)) fail(`dist[${i}] is not a finite number`);
      const nonce = n as number;
      if (nonce < startNonce) fail(`nonce ${nonce} is below start_nonce ${startNonce}`);
      if (!((d as number) < rTarget)) fail(`nonce ${nonce} is reported with dist ${d}, not below r_target ${rTarget}`);
      const first = this.seen.get(nonce);
      if (first !== undefined) fail(`nonce ${nonce} is reported twice (also on line ${first})`);
      this.seen.set(nonce, lineNo);
      this.reported.push({ nonce, dist: d as number, line: lineNo });
    });
    this.counters.check(l, nonces as number[], fail);
  }

  /** A string field every result line carries, equal to the job's (or to the first line's). */
  private sameString(l: Line, field: string, expected: string | undefined,
    fail: (reason: string) => never): string {
    const value = l[field];
    if (typeof value !== 'string' || value === '') return fail(`${field} is missing or not a string`);
    if (expected !== undefined && value !== expected) {
      const source = this.job[field === 'block_hash' ? 'blockHash' : 'publicKey'] === undefined ? 'the first line\'s' : 'the job\'s';
      return fail(`${field} ${JSON.stringify(value.slice(0, 20))}... differs from ${source} ` +
        `(${JSON.stringify(expected.slice(0, 20))}...)`);
    }
    return value;
  }
}

/** Reads and checks `file` ('-': stdin) line by line. */
export async function readResults(file: string, job: ExpectedJob): Promise<ResultsFile> {
  const name = file === '-' ? 'stdin' : file;
  const checker = new ResultsChecker(name, job);
  try {
    const input = file === '-' ? process.stdin : (await open(file)).createReadStream();
    let lineNo = 0;
    for await (const text of createInterface({ input, crlfDelay: Infinity })) checker.add(text, ++lineNo);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${name}: ${(err as Error).message}`); // missing, unreadable, a directory
  }
  return checker.finish();
}
