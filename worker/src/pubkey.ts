// Fetching the autoscaler's public key (docs/pyworker.md §2.3): GET {first REPORT_ADDR}/pubkey/, a few attempts with
// doubling back-off. The Python worker used the whole comma-separated REPORT_ADDR here; we use its first entry.

import type { KeyObject } from 'node:crypto';
import { request } from 'undici';
import type { Logger } from 'pino';
import { readCapped } from '../../common/src/body-cap.js';
import { Deadline, sleep } from '../../common/src/deadline.js';
import { parsePublicKey } from './signature.js';

/** An RSA public key in PEM is well under 4 KiB; an answer past this is not a key, and is read no further. */
export const MAX_PUBKEY_BYTES = 64 * 1024;

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
    const limit = new Deadline(o.timeoutMs, { parents: [o.signal], what: 'public key request timeout' });
    try {
      const res = await request(url, { method: 'GET', signal: limit.signal });
      if (res.statusCode < 200 || res.statusCode >= 300) {
        await res.body.dump();
        throw new Error(`HTTP ${res.statusCode}`);
      }
      const key = parsePublicKey((await readCapped(res.body, MAX_PUBKEY_BYTES)).toString('utf8'));
      o.log.info({ attempt, url }, 'fetched the autoscaler public key');
      return key;
    } catch (err) {
      if (o.signal.aborted) return undefined;
      o.log.warn({ attempt, attempts: o.attempts, url, err }, 'public key fetch failed');
    } finally {
      limit.dispose();
    }
    if (attempt < o.attempts && !(await sleep(o.backoffMs * 2 ** (attempt - 1), o.signal))) return undefined;
  }
  return undefined;
}
