// The stand-in platform's queue and policies (docs/runpod.md §14): jobs submitted by clients wait in a queue, are
// handed to a worker on job-take, and end with its job-done; a cancel removes a queued job or tells the running
// one's worker to stop (on job-stop), as does an execution timeout; a worker that stops pinging records a liveness
// lapse. The HTTP side is platform.ts.
import { Faults } from './faults.js';
import type { JobStatus, StandInJob } from './records.js';

export interface PolicyOptions {
  /** Default execution timeout of a job from the moment it is taken (none by default). */
  executionTimeoutMs?: number;
  /** No ping from a worker for this long records a liveness_lapse (default 3 × 1000 ms). */
  livenessMs?: number;
}

export const TERMINAL: readonly JobStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT'];

export class JobQueue extends Faults {
  protected readonly timers = new Set<NodeJS.Timeout>();
  private readonly queue: string[] = [];
  private readonly pendingStops = new Map<string, string[]>();
  private readonly lastPing = new Map<string, { t: number; lapsed: boolean }>();
  private nextId = 1;

  constructor(private readonly policy: PolicyOptions = {}) {
    super();
  }

  /** Queues a job (as POST /run does); its id. */
  submit(input: unknown, policy: { executionTimeoutMs?: number; id?: string } = {}): string {
    const id = policy.id ?? `job-${this.nextId++}`;
    this.jobs.set(id, { id, input, status: 'IN_QUEUE', executionTimeoutMs: policy.executionTimeoutMs ?? this.policy.executionTimeoutMs,
      chunks: [], read: 0, progress: [], doneAttempts: 0, xRequestIds: [], contentTypes: [] });
    this.queue.push(id);
    this.changed();
    return id;
  }

  /** A queued job is removed; a running one becomes CANCELLED and its worker is told on job-stop. */
  cancel(id: string): JobStatus | undefined {
    const job = this.jobs.get(id);
    if (job === undefined) return undefined;
    if (job.status === 'IN_QUEUE') this.queue.splice(this.queue.indexOf(id), 1);
    if (job.status === 'IN_PROGRESS') this.queueStop(job);
    if (!TERMINAL.includes(job.status)) job.status = 'CANCELLED';
    this.changed();
    return job.status;
  }

  job(id: string): StandInJob {
    const job = this.jobs.get(id);
    if (job === undefined) throw new Error(`stand-in platform: no job ${id}`);
    return job;
  }

  /** GET /status/<id>. */
  statusOf(id: string): [number, unknown] {
    const job = this.jobs.get(id);
    if (job === undefined) return [404, { error: 'not found' }];
    return [200, { id, status: job.status, ...(job.final?.output === undefined ? {} : { output: job.final.output }),
      ...(job.final?.error === undefined ? {} : { error: job.final.error }), workerId: job.workerId ?? null }];
  }

  /** GET /stream/<id>: the chunks the client has not read yet. */
  streamOf(id: string): [number, unknown] {
    const job = this.jobs.get(id);
    if (job === undefined) return [404, { error: 'not found' }];
    const fresh = job.chunks.slice(job.read).map((c) => ({ output: c.output }));
    job.read = job.chunks.length;
    return [200, { status: job.status, stream: fresh }];
  }

  protected hasQueued(): boolean {
    return this.queue.length > 0;
  }

  /** Up to `max` queued jobs, now IN_PROGRESS on `workerId` (their execution timeout starts). */
  protected takeQueued(max: number, workerId: string): StandInJob[] {
    const taken = this.queue.splice(0, max).map((id) => this.job(id));
    for (const job of taken) {
      job.status = 'IN_PROGRESS';
      job.workerId = workerId;
      job.takenAt = Date.now();
      if (job.executionTimeoutMs !== undefined) this.later(job.executionTimeoutMs).then(() => this.timedOut(job), () => undefined);
    }
    return taken;
  }

  protected hasStops(workerId: string): boolean {
    return (this.pendingStops.get(workerId)?.length ?? 0) > 0;
  }

  /** The ids to stop on `workerId`, each handed out once. */
  protected takeStops(workerId: string): string[] {
    const ids = this.pendingStops.get(workerId) ?? [];
    this.pendingStops.delete(workerId);
    return ids;
  }

  protected pinged(workerId: string, t: number): void {
    this.lastPing.set(workerId, { t, lapsed: false });
  }

  /** Records a liveness_lapse for each worker silent for longer than livenessMs (once per silence). */
  protected checkLiveness(): void {
    const limit = this.policy.livenessMs ?? 3000;
    for (const [worker, seen] of this.lastPing) {
      if (!seen.lapsed && Date.now() - seen.t > limit) {
        seen.lapsed = true;
        this.add({ kind: 'liveness_lapse', t: Date.now(), method: '', path: '', query: {}, headers: {}, workerId: worker });
      }
    }
  }

  /** Resolves after `ms`; cleared (never resolves) when the stand-in closes. */
  protected later(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private timedOut(job: StandInJob): void {
    if (job.status !== 'IN_PROGRESS') return;
    job.status = 'TIMED_OUT';
    this.queueStop(job);
  }

  private queueStop(job: StandInJob): void {
    if (job.workerId === undefined) return;
    this.pendingStops.set(job.workerId, [...(this.pendingStops.get(job.workerId) ?? []), job.id]);
    this.changed();
  }
}
