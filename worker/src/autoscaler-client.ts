// POSTs to the autoscaler (docs/pyworker.md §4.1, §4.2, §8): the addresses in order, stopping at the first success;
// each address gets `attempts` tries with a total timeout each and a gap after every failed try; any 2xx counts
// (the answer's body is never read). At most 4 connections per host, as the PyWorker's connector.

import type { Logger } from 'pino';
import { HttpClient, HttpFailure, retry } from '../../common/src/http-client.js';

export interface AutoscalerClientOptions {
  attempts: number;
  timeoutMs: number;
  retryGapMs: number;
  log: Logger;
}

export class AutoscalerClient {
  private readonly http: HttpClient;

  constructor(private readonly o: AutoscalerClientOptions) {
    this.http = new HttpClient({ timeoutMs: o.timeoutMs, maxAnswerBytes: 0, connections: 4 });
  }

  /**
   * Sends `body` (a JSON text, built fresh for every try by `makeBody`) to `{addr}{path}` for each address until
   * one accepts. Resolves true on success, false when every address failed or `signal` aborted.
   */
  async post(addrs: readonly string[], path: string, makeBody: () => string, signal: AbortSignal): Promise<boolean> {
    for (const addr of addrs) {
      try {
        await retry(async (attempt) => {
          try {
            const { status } = await this.http.send('POST', `${addr}${path}`, { body: makeBody(), signal, statusOnly: true });
            if (status < 200 || status >= 300) throw new HttpFailure(`HTTP ${status}`, status);
          } catch (err) {
            if (!signal.aborted) this.o.log.debug({ addr, path, attempt, err }, 'autoscaler request failed');
            throw err;
          }
        }, { attempts: this.o.attempts, delayMs: () => this.o.retryGapMs, signal });
        return true;
      } catch {
        if (signal.aborted) return false;
        this.o.log.warn({ addr, path, attempts: this.o.attempts }, 'autoscaler address failed every attempt');
      }
    }
    return false;
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
