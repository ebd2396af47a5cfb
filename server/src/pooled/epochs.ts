// The pooled session's work: one public key and nonce range at a time (an "epoch"), computed by the engine's
// interleaved stream (GPU g of G takes start + g + x*G until past the end). A new key or range starts a new
// epoch: counters reset, the range restarts from its start, the old epoch's stream stops after its batches in
// flight. When a range is exhausted, the devices wait for the next epoch.
import { noCounters, type Counters } from '../jobs/result-line.js';

export interface Epoch {
  readonly publicKey: string;
  readonly first: number;
  /** Inclusive. */
  readonly last: number;
  readonly started: number;
  readonly counters: Counters[];
  /** Aborted when a newer epoch replaces this one. */
  readonly replaced: AbortController;
  /** Its whole range has been computed. */
  done: boolean;
}

export class Epochs {
  private epoch: Epoch | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly workers: number) {}

  get current(): Epoch | undefined {
    return this.epoch;
  }

  start(publicKey: string, first: number, last: number): void {
    this.epoch?.replaced.abort(new Error('replaced by a new key or range'));
    this.epoch = {
      publicKey, first, last,
      started: Date.now(),
      counters: Array.from({ length: this.workers }, noCounters),
      replaced: new AbortController(),
      done: false,
    };
    this.wake?.();
  }

  isCurrent(publicKey: string, first: number, last: number): boolean {
    const e = this.epoch;
    return e !== undefined && e.publicKey === publicKey && e.first === first && e.last === last;
  }

  /** The epoch to compute now; waits while there is none or the current one is done. undefined once `signal` aborts. */
  async next(signal: AbortSignal): Promise<Epoch | undefined> {
    while (!signal.aborted) {
      const e = this.epoch;
      if (e && !e.done && !e.replaced.signal.aborted) return e;
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          this.wake = undefined;
          resolve();
        };
        this.wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
    return undefined;
  }
}
