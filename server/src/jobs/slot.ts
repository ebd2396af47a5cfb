// One job at a time on the devices, and what happens when another arrives.
//
// The worker in front forwards one job at a time, yet a job can outlive its client: Vast's Python PyWorker keeps
// its upstream connection to us open after its own client has gone, so an abandoned job looks alive until its time
// limit (7 minutes by default). So a new job (/generate, /warmup, /pooled) takes over: the running one is told to
// stop (it finishes its batch in flight, then cleans up within a bound: pooled results flushed and the
// orchestrator told, warmup completion reported, and ends its stream with {"status": "superseded"}), and the new
// one waits for the devices up to TAKEOVER_TIMEOUT. Meanwhile a third job is refused (503 busy + Retry-After),
// as is every new job when JOB_TAKEOVER=false or while the server shuts down. A validation (POST /validate) is no
// job but needs the devices too: it claims them only when they are free (503 busy otherwise) and never stops a job,
// while a job that arrives takes over from it as from any holder. Other routes never come here.
import { Deadline, untilAborted } from '../../../common/src/deadline.js';
import { CodedError } from '../../../common/src/errors.js';
import { Busy } from '../errors.js';

export type JobKind = 'generate' | 'warmup' | 'pooled';
/** What may hold the devices: a job, or a validation. */
export type HolderKind = JobKind | 'validate';
export type StopWhy = 'superseded' | 'shutdown';

/** The reason a job's stop signal carries when it is told to end early. */
export class JobStop extends CodedError {
  constructor(readonly why: StopWhy) {
    super('ERR_JOB_STOPPED', why === 'superseded' ? 'a newer job took over the devices' : 'the server is shutting down');
    this.name = 'JobStop';
  }
}

/** Why `signal` aborted, when a takeover or a shutdown did it. */
export function stopReason(signal: AbortSignal): StopWhy | undefined {
  return signal.aborted && signal.reason instanceof JobStop ? signal.reason.why : undefined;
}

export interface Lease {
  readonly kind: HolderKind;
  /** A number for the logs, counting jobs since the server started. */
  readonly id: number;
  /** Aborts with a JobStop when a newer job takes over or the server shuts down. */
  readonly stop: AbortSignal;
  /**
   * The deadline of the job's cleanup (flushing results, completion calls): `normalMs` from now, cut short once the
   * job is told to stop, so that it fits the takeover or shutdown bound. Dispose of it when the cleanup is done.
   */
  cleanup(normalMs?: number): Deadline;
  release(): void;
}

export interface SlotOptions {
  /** false: a new job is refused while one runs (503 busy), as before takeovers existed. */
  takeover: boolean;
  /** How long a new job waits for the job it supersedes to stop and clean up. */
  takeoverTimeoutMs: number;
  /** How long a job stopped by a shutdown may spend on its cleanup. */
  shutdownCleanupMs: number;
  onChange?: (kind: HolderKind, running: boolean) => void;
  /** A job of `kind` starts taking over from the running job (or validation) `old`. */
  onTakeover?: (old: { kind: HolderKind; id: number }, kind: JobKind) => void;
}

interface Running {
  kind: HolderKind;
  id: number;
  expectedEnd: number;
  stop: AbortController;
  /** Aborts when the cleanup must end (a takeover's or a shutdown's bound has passed). */
  hurry: AbortController;
  hurryTimers: Deadline[];
  done: Promise<void>;
  finish: () => void;
}

/** The part of the takeover bound a superseded job's cleanup may use: the rest covers ending its stream. */
const STREAM_END_RESERVE_MS = 1000;

export class JobSlot {
  private running: Running | undefined;
  /** A takeover in progress: the new job waits for the old one until then (performance.now()). */
  private claimUntil: number | undefined;
  private closed = false;
  private jobs = 0;

  constructor(private readonly opts: SlotOptions) {}

  get busy(): HolderKind | undefined {
    return this.running?.kind;
  }

  /**
   * Takes the devices for a new job. When a job holds them, it is told to stop and this waits for it (at most
   * TAKEOVER_TIMEOUT, and only while `waiting` has not aborted: the new job's client may leave too). Throws Busy
   * when the devices cannot be had.
   */
  async acquire(kind: JobKind, expectedMs: number, waiting: AbortSignal): Promise<Lease> {
    if (this.closed || this.claimUntil !== undefined) throw new Busy();
    const old = this.running;
    if (old) {
      if (!this.opts.takeover) throw new Busy();
      const bound = this.opts.takeoverTimeoutMs;
      const claimUntil = performance.now() + bound;
      this.claimUntil = claimUntil;
      try {
        this.opts.onTakeover?.({ kind: old.kind, id: old.id }, kind);
        this.stopRunning(old, 'superseded', Math.max(0, bound - Math.min(STREAM_END_RESERVE_MS, bound / 4)));
        const wait = new Deadline(bound, { parents: [waiting] });
        await untilAborted(old.done, wait.signal).catch(() => undefined).finally(() => wait.dispose());
      } finally {
        if (this.claimUntil === claimUntil) this.claimUntil = undefined;
      }
      if (this.running || this.closed || waiting.aborted) throw new Busy();
    }
    return this.grant(kind, expectedMs);
  }

  /** Takes the devices only if nothing holds them: no takeover, no wait; Busy otherwise. A job that arrives later
   *  takes over from this lease as from any other. */
  claim(kind: HolderKind, expectedMs: number): Lease {
    if (this.closed || this.claimUntil !== undefined || this.running) throw new Busy();
    return this.grant(kind, expectedMs);
  }

  /** Seconds a refused job should wait before trying again (at least 1): the Retry-After of a busy answer. */
  retryAfterSeconds(): number {
    const now = performance.now();
    const until = this.claimUntil ?? this.running?.expectedEnd ?? now;
    return Math.max(1, Math.ceil((until - now) / 1000));
  }

  /** Refuses new jobs, stops the running one (its cleanup bounded by shutdownCleanupMs) and waits until it has
   *  released the devices. */
  async close(): Promise<void> {
    this.closed = true;
    const running = this.running;
    if (!running) return;
    this.stopRunning(running, 'shutdown', this.opts.shutdownCleanupMs);
    await running.done;
  }

  private grant(kind: HolderKind, expectedMs: number): Lease {
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const running: Running = {
      kind, id: ++this.jobs, expectedEnd: performance.now() + expectedMs,
      stop: new AbortController(), hurry: new AbortController(), hurryTimers: [], done, finish,
    };
    this.running = running;
    this.opts.onChange?.(kind, true);
    return {
      kind,
      id: running.id,
      stop: running.stop.signal,
      cleanup: (normalMs = Infinity) => new Deadline(normalMs, { parents: [running.hurry.signal], what: 'cleanup' }),
      release: () => {
        if (this.running !== running) return;
        this.running = undefined;
        for (const timer of running.hurryTimers) timer.dispose();
        this.opts.onChange?.(kind, false);
        running.finish();
      },
    };
  }

  /** Tells a job to stop; its cleanup must be over within `cleanupMs` (the earliest such bound wins). */
  private stopRunning(running: Running, why: StopWhy, cleanupMs: number): void {
    if (!running.stop.signal.aborted) running.stop.abort(new JobStop(why));
    const timer = new Deadline(cleanupMs);
    timer.signal.addEventListener('abort', () => running.hurry.abort(new JobStop(why)), { once: true });
    running.hurryTimers.push(timer);
  }
}
