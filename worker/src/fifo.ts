// The one process-wide FIFO shared by every non-parallel handler route (docs/pyworker.md §3): only the head runs;
// when it finishes, for any reason, the next one starts; a waiter whose client went away leaves the line.
import { QueueAborted } from './errors.js';

interface Waiter {
  grant: () => void;
}

export class FifoQueue {
  private readonly waiters: Waiter[] = [];
  private busy = false;

  /** Requests waiting behind the running one. */
  get waiting(): number {
    return this.waiters.length;
  }

  get running(): boolean {
    return this.busy;
  }

  /**
   * Resolves with a release function once this caller is the head; rejects with QueueAborted if `signal`
   * aborts first. The release function is idempotent.
   */
  acquire(signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(new QueueAborted());
    return new Promise((resolve, reject) => {
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        this.next();
      };
      const waiter: Waiter = {
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new QueueAborted());
      };
      if (!this.busy) {
        this.busy = true;
        waiter.grant();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private next(): void {
    const head = this.waiters.shift();
    if (head === undefined) this.busy = false;
    else head.grant();
  }
}
