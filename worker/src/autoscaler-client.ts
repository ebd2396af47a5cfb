// POSTs to the autoscaler (pyworker.md §4.1, §4.2, §8): the addresses in order, stopping at the first success;
// each address gets `attempts` tries with a total timeout each and a gap after every failed try; any 2xx counts.
// At most 4 connections per host, as the PyWorker's connector.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import { timeoutSignal } from './abort.js';

export interface AutoscalerClientOptions {
  attempts: number;
  timeoutMs: number;
  retryGapMs: number;
  log: Logger;
}

export class AutoscalerClient {
  private readonly agent = new Agent({ connections: 4 });

  constructor(private readonly o: AutoscalerClientOptions) {}

  /**
   * Sends `body` (a JSON text, built fresh for every try by `makeBody`) to `{addr}{path}` for each address until
   * one accepts. Resolves true on success, false when every address failed or `signal` aborted.
   */
  async post(addrs: readonly string[], path: string, makeBody: () => string, signal: AbortSignal): Promise<boolean> {
    for (const addr of addrs) {
      for (let attempt = 1; attempt <= this.o.attempts; attempt++) {
        if (signal.aborted) return false;
        const scoped = timeoutSignal(this.o.timeoutMs, signal);
        try {
          const res = await request(`${addr}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: makeBody(),
            dispatcher: this.agent,
            signal: scoped.signal,
          });
          await res.body.dump();
          if (res.statusCode >= 200 && res.statusCode < 300) return true;
          this.o.log.debug({ addr, path, attempt, status: res.statusCode }, 'autoscaler answered an error');
        } catch (err) {
          if (signal.aborted) return false;
          this.o.log.debug({ addr, path, attempt, err: (err as Error).message }, 'autoscaler request failed');
        } finally {
          scoped.dispose();
        }
        try {
          await sleep(this.o.retryGapMs, undefined, { signal });
        } catch {
          return false;
        }
      }
      this.o.log.warn({ addr, path, attempts: this.o.attempts }, 'autoscaler address failed every attempt');
    }
    return false;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
