// POSTs to the autoscaler (docs/pyworker.md §4.1, §4.2, §8): the addresses in order, stopping at the first success;
// each address gets `attempts` tries with a total timeout each and a gap after every failed try; any 2xx counts.
// At most 4 connections per host, as the PyWorker's connector.

import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import { Deadline, sleep } from '../../common/src/deadline.js';

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
        const limit = new Deadline(this.o.timeoutMs, { parents: [signal], what: 'autoscaler request timeout' });
        try {
          const res = await request(`${addr}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: makeBody(),
            dispatcher: this.agent,
            signal: limit.signal,
          });
          // Never read: the status is the answer (dump() discards the body, and gives up on a huge one).
          await res.body.dump();
          if (res.statusCode >= 200 && res.statusCode < 300) return true;
          this.o.log.debug({ addr, path, attempt, status: res.statusCode }, 'autoscaler answered an error');
        } catch (err) {
          if (signal.aborted) return false;
          this.o.log.debug({ addr, path, attempt, err }, 'autoscaler request failed');
        } finally {
          limit.dispose();
        }
        if (!(await sleep(this.o.retryGapMs, signal))) return false;
      }
      this.o.log.warn({ addr, path, attempts: this.o.attempts }, 'autoscaler address failed every attempt');
    }
    return false;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
