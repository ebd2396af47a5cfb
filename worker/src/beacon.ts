// When the worker cannot run at all (invalid configuration, listeners that fail to bind) it still tells the
// autoscaler why, every interval, until stopped (docs/pyworker.md §1.4 step 1 and §4.4; the Python worker crashed
// silently on a missing variable, pitfall 7).

import type { Logger } from 'pino';
import { sleep } from '../../common/src/deadline.js';
import { AutoscalerClient } from './autoscaler-client.js';
import { PROTOCOL_VERSION } from './config.js';

export interface BeaconOptions {
  id: number;
  mtoken: string;
  url: string;
  reportAddrs: readonly string[];
  errorMsg: string;
  intervalMs: number;
  log: Logger;
}

/** The bootstrap error report's shape (start_server.sh report_error_and_exit). */
export function beaconBody(o: BeaconOptions): string {
  return JSON.stringify({ id: o.id, mtoken: o.mtoken, version: PROTOCOL_VERSION, error_msg: o.errorMsg, url: o.url });
}

export async function runBeacon(o: BeaconOptions, signal: AbortSignal): Promise<void> {
  const client = new AutoscalerClient({ attempts: 3, timeoutMs: 10_000, retryGapMs: 2000, log: o.log });
  try {
    while (!signal.aborted) {
      o.log.error({ error_msg: o.errorMsg }, 'worker cannot start; reporting the error to the autoscaler');
      await client.post(o.reportAddrs, '/worker_status/', () => beaconBody(o), signal);
      if (!(await sleep(o.intervalMs, signal))) break;
    }
  } finally {
    await client.close();
  }
}
