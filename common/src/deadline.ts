// Time limits that hold whatever the garbage collector, a client or back-pressure does.
//
// Node 20's AbortSignal.timeout() is held weakly once it is combined with AbortSignal.any(): after a full GC the
// timeout may be collected and never fire, and a job with a 7-minute limit streams forever. Here a limit is a
// plain setTimeout (kept by the event loop's timer list until it fires or is cleared) that aborts an
// AbortController the Deadline owns; parents are linked with listeners that are removed on dispose(), so a
// long-lived parent (the server's lifetime) does not collect one listener per request. eslint bans
// AbortSignal.timeout and AbortSignal.any everywhere else.
import { CodedError } from './errors.js';

/** Node clamps longer timers to 1 ms (with a warning); longer limits are reached in steps of this. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What a Deadline's signal carries when its time ran out. */
export class DeadlineExceeded extends CodedError {
  constructor(readonly limitMs: number, what = 'deadline') {
    super('ERR_DEADLINE', `${what} of ${formatSeconds(limitMs)} s exceeded`);
    this.name = 'DeadlineExceeded';
  }
}

export interface DeadlineOptions {
  /** Signals that stop the same work earlier (a client gone, a shutdown); undefined entries are ignored. */
  parents?: readonly (AbortSignal | undefined)[];
  /** Names the limit in the abort reason ("job time limit of 420 s exceeded"). */
  what?: string;
}

/**
 * A limit `ms` from now (Infinity: no limit, parents only). `signal` aborts when the time runs out (reason:
 * DeadlineExceeded) or when a parent aborts (its reason). Call dispose() when the work is done.
 */
export class Deadline {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private readonly unlink: (() => void)[] = [];
  /** performance.now() at which the limit runs out (Infinity for none). */
  readonly at: number;

  constructor(readonly ms: number, opts: DeadlineOptions = {}) {
    this.at = performance.now() + ms;
    for (const parent of opts.parents ?? []) {
      if (parent === undefined) continue;
      if (parent.aborted) {
        this.controller.abort(parent.reason);
        break;
      }
      const onAbort = (): void => this.abort(parent.reason);
      parent.addEventListener('abort', onAbort, { once: true });
      this.unlink.push(() => parent.removeEventListener('abort', onAbort));
    }
    if (Number.isFinite(ms) && !this.controller.signal.aborted) this.arm(new DeadlineExceeded(ms, opts.what));
    else if (this.controller.signal.aborted) this.dispose();
  }

  /** Aborts when the limit runs out or a parent aborts. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Milliseconds left (0 once past; Infinity without a limit). */
  remaining(): number {
    return Math.max(0, this.at - performance.now());
  }

  /** Whether the time itself ran out (not a parent). */
  get expired(): boolean {
    return this.signal.aborted && this.signal.reason instanceof DeadlineExceeded;
  }

  /** Stops the timer and detaches from the parents; the signal keeps its state. */
  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const unlink of this.unlink.splice(0)) unlink();
  }

  private abort(reason: unknown): void {
    this.controller.abort(reason);
    this.dispose();
  }

  private arm(reason: DeadlineExceeded): void {
    const left = this.at - performance.now();
    if (left <= 0) return this.abort(reason);
    // unref: the limit must not keep a process alive by itself; the timer list still holds it strongly.
    this.timer = setTimeout(() => this.arm(reason), Math.min(left, MAX_TIMER_MS));
    this.timer.unref();
  }
}

/** A signal that aborts when any of `signals` does, detached by dispose() (AbortSignal.any without the leak). */
export function anySignal(...signals: (AbortSignal | undefined)[]): Deadline {
  return new Deadline(Infinity, { parents: signals });
}

/** Runs `work` under a deadline of `ms` (and `parents`), disposing of it afterwards. */
export async function withDeadline<T>(ms: number, opts: DeadlineOptions, work: (deadline: Deadline) => Promise<T>): Promise<T> {
  const deadline = new Deadline(ms, opts);
  try {
    return await work(deadline);
  } finally {
    deadline.dispose();
  }
}

/** Waits `ms`; resolves true when the time ran out, false when `signal` aborted first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, Math.min(Math.max(0, ms), MAX_TIMER_MS));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Resolves with `promise`'s value, or rejects with `signal`'s reason once it aborts (the promise runs on). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** Resolves once `signal` aborts (never, if it never does). */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

function formatSeconds(ms: number): string {
  return String(Math.round(ms) / 1000);
}
