// Fetching the autoscaler's public key (docs/pyworker.md §2.3): GET {first REPORT_ADDR}/pubkey/, a few attempts with
// doubling back-off. The Python worker used the whole comma-separated REPORT_ADDR here; we use its first entry.

import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { doubling, HttpClient, HttpFailure, retry } from '../../common/src/http-client.js';
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
  const http = new HttpClient({ timeoutMs: o.timeoutMs, maxAnswerBytes: MAX_PUBKEY_BYTES });
  try {
    return await retry(async (attempt) => {
      try {
        const { status, body } = await http.send('GET', url, { signal: o.signal });
        if (status < 200 || status >= 300) throw new HttpFailure(`HTTP ${status}`, status);
        const key = parsePublicKey(body.toString('utf8'));
        o.log.info({ attempt, url }, 'fetched the autoscaler public key');
        return key;
      } catch (err) {
        if (!o.signal.aborted) o.log.warn({ attempt, attempts: o.attempts, url, err }, 'public key fetch failed');
        throw err;
      }
    }, { attempts: o.attempts, delayMs: doubling(o.backoffMs), signal: o.signal });
  } catch {
    return undefined;
  } finally {
    await http.close();
  }
}
