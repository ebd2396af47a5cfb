// The pooled session's work: one public key and nonce range at a time (an "epoch"), interleaved across the
// devices (GPU g of G takes start + g + x*G until past the end). A new key or range starts a new epoch: counters
// reset, the range restarts from its start. Devices whose share is exhausted wait for the next epoch.
import type { WorkSource } from '../jobs/device-loops.js';
import { InterleavedNonces } from '../jobs/nonces.js';

export interface DeviceCounters {
  batches: number;
  computed: number;
  valid: number;
}

export interface Epoch {
  readonly publicKey: string;
  readonly started: number;
  readonly nonces: InterleavedNonces;
  readonly counters: DeviceCounters[];
}

export class PooledWork implements WorkSource<Epoch> {
  private epoch: Epoch | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly workers: number) {}

  get current(): Epoch | undefined {
    return this.epoch;
  }

  /** Starts computing `publicKey` over [first, last] from the start; wakes devices that were waiting. */
  start(publicKey: string, first: number, last: number): void {
    this.epoch = {
      publicKey,
      started: Date.now(),
      nonces: new InterleavedNonces(first, last, this.workers),
      counters: Array.from({ length: this.workers }, () => ({ batches: 0, computed: 0, valid: 0 })),
    };
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  /** Whether `start` with these values would change anything. */
  isCurrent(publicKey: string, first: number, last: number): boolean {
    const e = this.epoch;
    return e !== undefined && e.publicKey === publicKey && e.nonces.first === first && e.nonces.last === last;
  }

  take(worker: number, count: number) {
    const epoch = this.epoch;
    const nonces = epoch?.nonces.take(worker, count) ?? [];
    return epoch && nonces.length > 0 ? { publicKey: epoch.publicKey, nonces, tag: epoch } : undefined;
  }

  waitForWork(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      };
      const onAbort = () => {
        this.waiters.delete(wake);
        resolve(false);
      };
      this.waiters.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
