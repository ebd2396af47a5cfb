// Fetching the autoscaler's public key (pyworker.md §2.3): GET {first REPORT_ADDR}/pubkey/, a few attempts with
// doubling back-off. The Python worker used the whole comma-separated REPORT_ADDR here; we use its first entry.

import { setTimeout as sleep } from 'node:timers/promises';
import type { KeyObject } from 'node:crypto';
import { request } from 'undici';
import type { Logger } from 'pino';
import { parsePublicKey } from './signature.js';
import { timeoutSignal } from './abort.js';

export const PUBKEY_FAILURE = 'Failed to get Serverless public key after all retry attempts';

export interface PubkeyOptions {
  reportAddr: string;
  attempts: number;
  backoffMs: number;
  timeoutMs: number;
  log: Logger;
  signal: AbortSignal;
}

/** Resolves to the key, or to undefined once every attempt failed (the caller turns that into the worker's error). */
export async function fetchPubkey(o: PubkeyOptions): Promise<KeyObject | undefined> {
  const url = `${o.reportAddr}/pubkey/`;
  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    const scoped = timeoutSignal(o.timeoutMs, o.signal);
    try {
      const res = await request(url, { method: 'GET', signal: scoped.signal });
      const text = await res.body.text();
      if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`HTTP ${res.statusCode}`);
      const key = parsePublicKey(text);
      o.log.info({ attempt, url }, 'fetched the autoscaler public key');
      return key;
    } catch (err) {
      if (o.signal.aborted) return undefined;
      o.log.warn({ attempt, attempts: o.attempts, url, err: (err as Error).message }, 'public key fetch failed');
    } finally {
      scoped.dispose();
    }
    if (attempt < o.attempts) {
      try {
        await sleep(o.backoffMs * 2 ** (attempt - 1), undefined, { signal: o.signal });
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
