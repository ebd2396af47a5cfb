// What the stand-in platform remembers (docs/runpod.md §14): every request as an event, in order, and every job's
// state, chunks and final body. Tests and the demo read these, and wait on them: waitFor re-checks its condition
// whenever something is recorded, so nothing waits on a clock.

export type JobStatus = 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT';

export interface PlatformEvent {
  kind: string;
  /** Date.now() at arrival, and when it was answered. */
  t: number;
  answeredAt?: number;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  status?: number;
  jobId?: string;
  workerId?: string;
}

export interface Chunk {
  output: unknown;
  t: number;
  contentType: string | undefined;
  xRequestId: string | undefined;
  query: Record<string, string>;
}

export interface FinalBody {
  output?: unknown;
  error?: unknown;
  stopPod?: unknown;
  /** The query's isStream, as sent ("true"/"false"). */
  isStream: string | undefined;
  t: number;
}

export interface StandInJob {
  id: string;
  input: unknown;
  status: JobStatus;
  workerId?: string;
  executionTimeoutMs?: number;
  takenAt?: number;
  chunks: Chunk[];
  /** Chunks already handed to the client's /stream. */
  read: number;
  progress: unknown[];
  final?: FinalBody;
  doneAttempts: number;
  xRequestIds: string[];
  contentTypes: string[];
}

export interface Ping {
  t: number;
  workerId: string;
  jobIds: string[];
  runpodVersion: string | undefined;
  params: Record<string, string>;
}

export class Records {
  readonly events: PlatformEvent[] = [];
  readonly jobs = new Map<string, StandInJob>();
  private readonly listeners = new Set<() => void>();

  add(e: PlatformEvent): PlatformEvent {
    this.events.push(e);
    this.changed();
    return e;
  }

  /** Tell the waiters to look again (an event, an answer, a job's state). */
  changed(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Calls `listener` after every change until the returned function is called. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The first truthy value of `check`, now or after a later change; rejects after `timeoutMs` (a guard, not a
   *  measurement) saying `what`. */
  waitFor<T>(check: () => T | undefined | false | null, timeoutMs = 30_000, what = 'a condition'): Promise<T> {
    return new Promise((resolve, reject) => {
      const look = (): boolean => {
        const value = check();
        if (value === undefined || value === false || value === null) return false;
        done();
        resolve(value);
        return true;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`stand-in platform: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const unsubscribe = this.subscribe(look);
      const done = (): void => {
        clearTimeout(timer);
        unsubscribe();
      };
      look();
    });
  }

  ofKind(kind?: string): PlatformEvent[] {
    return kind === undefined ? this.events : this.events.filter((e) => e.kind === kind);
  }

  pings(): Ping[] {
    return this.ofKind('ping').map((e) => {
      const { job_id: ids, runpod_version: runpodVersion, ...params } = e.query;
      return { t: e.t, workerId: e.workerId ?? '', jobIds: ids === undefined || ids === '' ? [] : ids.split(','), runpodVersion, params };
    });
  }

  takes(): PlatformEvent[] {
    return this.events.filter((e) => e.kind === 'take' || e.kind === 'take-batch');
  }
}
