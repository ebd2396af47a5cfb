// A service's log file, read as it grows: the raw lines (for the checks on what a supervisor would read) and the
// JSON records (the events the suite waits for: "job started", "job ended", ...). Waiting is for a record to
// appear, with a limit only as a guard against a hang, never as the thing tested.
import { readFileSync, statSync } from 'node:fs';
import { sleep } from '../../common/src/deadline.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LogRecord = Record<string, any> & { msg: string; time: number };

const POLL_MS = 20;

export class LogFile {
  readonly lines: string[] = [];
  readonly records: LogRecord[] = [];
  private offset = 0;
  private partial = '';

  /** Only what is appended from now on counts: a restarted service shares its log file with its predecessor. */
  constructor(readonly path: string) {
    try {
      this.offset = statSync(path).size;
    } catch {
      this.offset = 0;
    }
  }

  /** Reads what was appended since the last look. */
  refresh(): void {
    let buf: Buffer;
    try {
      buf = readFileSync(this.path);
    } catch {
      return;
    }
    if (buf.length <= this.offset) return;
    const text = this.partial + buf.subarray(this.offset).toString('utf8');
    this.offset = buf.length;
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      if (line === '') continue;
      this.lines.push(line);
      try {
        const record = JSON.parse(line) as LogRecord;
        if (typeof record === 'object' && record !== null) this.records.push({ ...record, msg: String(record.msg ?? '') });
      } catch {
        // not a JSON line (the startup line, Node's own output)
      }
    }
  }

  /** The first record (already logged or logged later) that matches; rejects after `ms`, or when `exited`
   *  settles first (the process died), with the log's tail. */
  async waitFor(match: (r: LogRecord) => boolean, ms = 30_000, exited?: Promise<unknown>): Promise<LogRecord> {
    const until = Date.now() + ms;
    let gone = false;
    void exited?.then(() => (gone = true));
    for (;;) {
      this.refresh();
      const found = this.records.find(match);
      if (found) return found;
      if (gone || Date.now() > until) {
        throw new Error(`${this.path}: ${gone ? 'the process exited' : `nothing matched within ${ms} ms`}; tail:\n${this.lines.slice(-15).join('\n')}`);
      }
      await sleep(POLL_MS);
    }
  }

  /** The records after the `mark`-th (a mark is records.length taken earlier). */
  since(mark: number): LogRecord[] {
    this.refresh();
    return this.records.slice(mark);
  }

  mark(): number {
    this.refresh();
    return this.records.length;
  }

  /** The "job ended" record of job `id`. */
  jobEnded(id: number, ms = 60_000): Promise<LogRecord> {
    return this.waitFor((r) => r.msg === 'job ended' && r.job === id, ms);
  }

  jobStarted(id: number, ms = 60_000): Promise<LogRecord> {
    return this.waitFor((r) => r.msg === 'job started' && r.job === id, ms);
  }
}
