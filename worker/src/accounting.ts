// Request accounting (docs/pyworker.md §3 "Accounting", §4.1): the working set, the per-interval workload counters,
// the loaded/error state and the finished requests waiting for /delete_requests/.
// error_msg has two slots with different lifetimes. The sticky one is the PyWorker's rule: the first error (a fatal
// model-log line, a failed load, no public key, the model server's exit) stays until the process restarts. The
// recoverable one is the health watcher's "Model server unhealthy": a later successful load sequence clears it.
// A report carries the sticky error when there is one, else the recoverable one.
// Fixed knowingly: the working set is keyed by an internal id, not by reqnum (pitfall 10); a report subtracts
// what it sent instead of zeroing counters that may have moved while it was in flight; the lists that grow while
// the autoscaler is unreachable are bounded.

export type RequestStatus = 'Success' | 'Error' | 'Cancelled' | 'Rejected';

export interface RequestRecord {
  readonly id: number;
  readonly reqnum: unknown;
  readonly requestIdx: unknown;
  readonly workload: number;
  /** A session placeholder (/session/create): counted in cur_load, not in the wait time. */
  readonly isSession: boolean;
  /** A request inside a session: counted in the workload counters only (its session's placeholder stands in). */
  readonly inSession: boolean;
  /** Epoch seconds; 0 while not reached. */
  enteredQueueAt: number;
  workStartedAt: number;
  workCompletedAt: number;
  status: RequestStatus | undefined;
  success: boolean;
}

export interface IntervalCounters {
  served: number;
  received: number;
  cancelled: number;
  errored: number;
  rejected: number;
}

/** Distinct reqnums are remembered in a window of this many (sessions reuse one reqnum for many requests). */
const RECEIVED_WINDOW = 4096;
/** Finished requests kept for /delete_requests/ while the autoscaler cannot be reached; the oldest go first. */
export const MAX_PENDING_DELETES = 10_000;

const nowSeconds = (): number => Date.now() / 1000;

export class Accounting {
  readonly interval: IntervalCounters = { served: 0, received: 0, cancelled: 0, errored: 0, rejected: 0 };
  private readonly working = new Map<number, RequestRecord>();
  private readonly recentReqnums = new Set<string>();
  private receivedCount = 0;
  private pendingDeletes: RequestRecord[] = [];
  droppedDeletes = 0;
  private nextId = 1;
  /** A request started, ended or was rejected since the last successful report (or the state changed). */
  updatePending = false;
  private sticky = '';
  private recoverable = '';
  maxPerf = 0;
  /** Seconds from process start to loaded; 0 until loaded. */
  loadtime = 0;
  modelLoaded = false;

  newRecord(
    authData: Record<string, unknown>,
    workload: number,
    kind: 'request' | 'session' | 'in-session' = 'request',
  ): RequestRecord {
    return {
      id: this.nextId++,
      reqnum: authData.reqnum,
      requestIdx: authData.request_idx,
      workload,
      isSession: kind === 'session',
      inSession: kind === 'in-session',
      enteredQueueAt: nowSeconds(),
      workStartedAt: 0,
      workCompletedAt: 0,
      status: undefined,
      success: false,
    };
  }

  /** Σ workload of the working set without session placeholders / max(max_perf, 1e-5) (docs/pyworker.md §3). */
  waitTime(): number {
    if (this.working.size === 0) return 0;
    let sum = 0;
    for (const r of this.working.values()) if (!r.isSession) sum += r.workload;
    return sum / Math.max(this.maxPerf, 1e-5);
  }

  curLoad(): number {
    let sum = 0;
    for (const r of this.working.values()) sum += r.workload;
    return sum;
  }

  workingCount(): number {
    return this.working.size;
  }

  workingRequestIdxs(): unknown[] {
    return [...this.working.values()].map((r) => r.requestIdx);
  }

  receivedTotal(): number {
    return this.receivedCount;
  }

  start(r: RequestRecord): void {
    this.interval.received += r.workload;
    this.updatePending = true;
    if (r.inSession) return;
    this.countReceived(r.reqnum);
    this.working.set(r.id, r);
  }

  markWorkStarted(r: RequestRecord): void {
    r.workStartedAt = nowSeconds();
  }

  success(r: RequestRecord): void {
    r.workCompletedAt = nowSeconds();
    this.interval.served += r.workload;
    r.status = 'Success';
    r.success = true;
    this.updatePending = true;
  }

  errored(r: RequestRecord): void {
    r.workCompletedAt = nowSeconds();
    this.interval.errored += r.workload;
    r.status = 'Error';
    r.success = false;
    this.updatePending = true;
  }

  /** The client went away (queued or in flight). As in the PyWorker: success=true, no report is triggered. */
  cancelled(r: RequestRecord): void {
    this.interval.cancelled += r.workload;
    r.status = 'Cancelled';
    r.success = true;
  }

  /** 401 or 429: never entered the working set. */
  reject(r: RequestRecord): void {
    this.interval.rejected += r.workload;
    r.status = 'Rejected';
    r.success = false;
    this.updatePending = true;
    if (r.inSession) return;
    this.countReceived(r.reqnum);
    this.queueDelete(r);
  }

  /** After any outcome of a started request. */
  end(r: RequestRecord): void {
    if (this.working.delete(r.id)) this.queueDelete(r);
  }

  markLoaded(maxPerf: number, loadtimeSeconds: number): void {
    this.maxPerf = maxPerf;
    this.loadtime = loadtimeSeconds;
    this.modelLoaded = true;
    this.updatePending = true;
  }

  /** The error_msg reported now: the sticky error, else the recoverable one, else "". */
  get errorMsg(): string {
    return this.sticky !== '' ? this.sticky : this.recoverable;
  }

  get stickyError(): string {
    return this.sticky;
  }

  get healthError(): string {
    return this.recoverable;
  }

  /** Sticky until the process restarts, as in the PyWorker (the first wins); resets the interval counters. */
  setError(msg: string): void {
    if (this.sticky !== '') return;
    this.sticky = msg;
    this.modelLoaded = true;
    for (const k of Object.keys(this.interval) as (keyof IntervalCounters)[]) this.interval[k] = 0;
    this.updatePending = true;
  }

  /** The recoverable error (the latest wins); a report is due when it changes what is reported. */
  setHealthError(msg: string): void {
    if (this.recoverable === msg) return;
    this.recoverable = msg;
    this.updatePending = true;
  }

  /** Clears the recoverable error; true when there was one. */
  clearHealthError(): boolean {
    if (this.recoverable === '') return false;
    this.recoverable = '';
    this.updatePending = true;
    return true;
  }

  /** After a successful report: subtract what it carried (increments made while it was in flight remain). */
  commitInterval(sent: IntervalCounters): void {
    for (const k of Object.keys(this.interval) as (keyof IntervalCounters)[]) {
      this.interval[k] = Math.max(0, this.interval[k] - sent[k]);
    }
  }

  pendingDeleteSnapshot(): RequestRecord[] {
    return [...this.pendingDeletes];
  }

  removeDeleted(sent: readonly RequestRecord[]): void {
    const ids = new Set(sent.map((r) => r.id));
    this.pendingDeletes = this.pendingDeletes.filter((r) => !ids.has(r.id));
  }

  private queueDelete(r: RequestRecord): void {
    this.pendingDeletes.push(r);
    if (this.pendingDeletes.length > MAX_PENDING_DELETES) {
      this.pendingDeletes.shift();
      this.droppedDeletes++;
    }
  }

  private countReceived(reqnum: unknown): void {
    const key = JSON.stringify(reqnum) ?? 'undefined';
    if (this.recentReqnums.has(key)) return;
    this.receivedCount++;
    this.recentReqnums.add(key);
    if (this.recentReqnums.size > RECEIVED_WINDOW) {
      const oldest = this.recentReqnums.values().next().value as string;
      this.recentReqnums.delete(oldest);
    }
  }
}
