// The autoscaler reporter (docs/pyworker.md §4.1, §4.2): POST /worker_status/ every tick when something happened or
// the silence grew too long, and POST /delete_requests/ with the finished and rejected requests.
// Deliberate: becoming loaded or errored marks a report as due (the newest PyWorker does so for "loaded"), so the
// autoscaler learns it within one tick instead of up to ten seconds.

import type { Logger } from 'pino';
import { sleep } from '../../common/src/deadline.js';
import type { Accounting, IntervalCounters, RequestRecord } from './accounting.js';
import type { AutoscalerClient } from './autoscaler-client.js';
import { PROTOCOL_VERSION } from './config.js';
import type { DiskUsage } from './disk.js';
import { pyJsonObject } from './py-json.js';

const STATUS_FLOATS = new Set([
  'loadtime',
  'cur_load',
  'rej_load',
  'new_load',
  'max_perf',
  'cur_perf',
  'additional_disk_usage',
]);
const DELETE_FLOATS = new Set(['entered_queue_at', 'work_started_at', 'work_completed_at']);
/** The PyWorker skips this address for /delete_requests/. */
const DELETE_SKIPPED_ADDR = 'https://cloud.vast.ai/api/v0';

export interface ReporterOptions {
  id: number;
  mtoken: string;
  url: string;
  reportAddrs: readonly string[];
  tickMs: number;
  maxSilenceMs: number;
  deleteTickMs: number;
  accounting: Accounting;
  client: AutoscalerClient;
  disk: DiskUsage;
  log: Logger;
}

export class Reporter {
  private lastSuccess = 0;
  /** The worker_status send in progress, if any: sends run one after the other. */
  private sending: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: ReporterOptions) {}

  /** The worker_status body as sent now, with the interval counters it carries. */
  statusBody(additionalDiskUsage: number): { text: string; counters: IntervalCounters } {
    const a = this.o.accounting;
    const counters = { ...a.interval };
    const fields = {
      id: this.o.id,
      mtoken: this.o.mtoken,
      version: PROTOCOL_VERSION,
      loadtime: a.loadtime,
      cur_load: a.curLoad(),
      rej_load: counters.rejected,
      new_load: Math.max(counters.received - counters.cancelled, 0),
      error_msg: a.errorMsg,
      max_perf: a.maxPerf,
      cur_perf: counters.served,
      cur_capacity: 0,
      max_capacity: 0,
      num_requests_working: a.workingCount(),
      num_requests_recieved: a.receivedTotal(),
      additional_disk_usage: additionalDiskUsage,
      working_request_idxs: a.workingRequestIdxs(),
      url: this.o.url,
    };
    return { text: pyJsonObject(fields, STATUS_FLOATS), counters };
  }

  /**
   * One worker_status send, after any send in progress (the loop's and a final report's must not carry, and then
   * subtract, the same counters twice); true when an address accepted it.
   */
  sendStatus(signal: AbortSignal): Promise<boolean> {
    const send = this.sending.then(() => this.sendStatusNow(signal));
    this.sending = send.catch(() => undefined);
    return send;
  }

  private async sendStatusNow(signal: AbortSignal): Promise<boolean> {
    const a = this.o.accounting;
    const disk = await this.o.disk.delta();
    a.updatePending = false;
    let sent: IntervalCounters | undefined;
    const ok = await this.o.client.post(
      this.o.reportAddrs,
      '/worker_status/',
      () => {
        const body = this.statusBody(disk);
        sent = body.counters;
        return body.text;
      },
      signal,
    );
    if (ok && sent !== undefined) {
      a.commitInterval(sent);
      this.lastSuccess = Date.now();
    } else {
      a.updatePending = true;
    }
    return ok;
  }

  /** One delete_requests send of everything pending now; true when an address accepted it. */
  async sendDeletes(signal: AbortSignal): Promise<boolean> {
    const a = this.o.accounting;
    const snapshot = a.pendingDeleteSnapshot();
    if (snapshot.length === 0) return true;
    const addrs = this.o.reportAddrs.filter((addr) => addr !== DELETE_SKIPPED_ADDR);
    const ok = await this.o.client.post(addrs, '/delete_requests/', () => this.deleteBody(snapshot), signal);
    if (ok) a.removeDeleted(snapshot);
    return ok;
  }

  deleteBody(records: readonly RequestRecord[]): string {
    const items = records.map((r) =>
      pyJsonObject(
        {
          request_idx: r.requestIdx ?? null,
          success: r.success,
          status: r.status ?? 'Error',
          entered_queue_at: r.enteredQueueAt,
          work_started_at: r.workStartedAt,
          work_completed_at: r.workCompletedAt,
        },
        DELETE_FLOATS,
      ),
    );
    return `{"worker_id": ${JSON.stringify(this.o.id)}, "mtoken": ${JSON.stringify(this.o.mtoken)}, "requests": [${items.join(', ')}]}`;
  }

  /** Runs both loops until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    await Promise.all([this.statusLoop(signal), this.deleteLoop(signal)]);
  }

  private async statusLoop(signal: AbortSignal): Promise<void> {
    while (await tick(this.o.tickMs, signal)) {
      const silence = Date.now() - this.lastSuccess;
      if (this.o.accounting.updatePending || silence > this.o.maxSilenceMs) {
        if (!(await this.sendStatus(signal)) && !signal.aborted) this.o.log.warn('worker_status could not be delivered');
      }
    }
  }

  private async deleteLoop(signal: AbortSignal): Promise<void> {
    while (await tick(this.o.deleteTickMs, signal)) {
      if (!(await this.sendDeletes(signal)) && !signal.aborted) this.o.log.warn('delete_requests could not be delivered');
    }
  }
}

/** True when the tick elapsed, false when `signal` aborted. */
function tick(ms: number, signal: AbortSignal): Promise<boolean> {
  return sleep(ms, signal);
}
