// One job at a time on the devices. A request that finds them busy is refused (503 + Retry-After +
// {"error": "busy"}) rather than queued: the PyWorker in front already queues requests FIFO (pyworker.md §3), and a
// queued stream would sit silent for up to MAX_JOB_DURATION, past most clients' timeouts.
export type JobKind = 'generate' | 'warmup' | 'pooled';

export interface Lease {
  readonly kind: JobKind;
  /** Aborted when the server shuts down: the job stops, flushes what it owes, and releases. */
  readonly signal: AbortSignal;
  release(): void;
}

interface Running {
  kind: JobKind;
  expectedEnd: number;
  stop: AbortController;
  done: Promise<void>;
  finish: () => void;
}

export class JobSlot {
  private running: Running | undefined;
  private closed = false;

  constructor(private readonly onChange: (kind: JobKind, running: boolean) => void = () => undefined) {}

  get busy(): JobKind | undefined {
    return this.running?.kind;
  }

  /** Takes the devices, or returns undefined when a job holds them (or the server is closing). */
  tryAcquire(kind: JobKind, expectedMs: number): Lease | undefined {
    if (this.running || this.closed) return undefined;
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const running: Running = { kind, expectedEnd: Date.now() + expectedMs, stop: new AbortController(), done, finish };
    this.running = running;
    this.onChange(kind, true);
    return {
      kind,
      signal: running.stop.signal,
      release: () => {
        if (this.running !== running) return;
        this.running = undefined;
        this.onChange(kind, false);
        running.finish();
      },
    };
  }

  /** Seconds until the running job is expected to end (at least 1): the Retry-After of a busy answer. */
  retryAfterSeconds(): number {
    const left = this.running ? (this.running.expectedEnd - Date.now()) / 1000 : 0;
    return Math.max(1, Math.ceil(left));
  }

  /** Refuses new jobs, stops the running one and waits until it has released the devices. */
  async close(): Promise<void> {
    this.closed = true;
    const running = this.running;
    if (!running) return;
    running.stop.abort(new Error('server shutting down'));
    await running.done;
  }
}
