// The orchestrator's worker API (docs/model-server.md "POST /pooled"): JSON over HTTP, 10 s per request; the calls
// marked "retry" get the retry schedule (5 tries, backoff 1, 2, 4, 8 s), the others fail at once.
import { randomUUID } from 'node:crypto';
import type { Outbound } from '../http/outbound.js';

export class OrchestratorClient {
  readonly workerId = randomUUID();

  constructor(
    private readonly http: Outbound,
    /** Without a trailing slash. */
    readonly baseUrl: string,
  ) {}

  private url(path: string): string {
    return `${this.baseUrl}/api/workers/${path}`;
  }

  private worker(path: string): string {
    return this.url(`${encodeURIComponent(this.workerId)}/${path}`);
  }

  /** POST /api/workers/connect (retry) → {"status": "wait"} or a config. */
  connect(gpuInfo: object[], signal?: AbortSignal): Promise<unknown> {
    const body = { worker_id: this.workerId, gpu_count: gpuInfo.length, gpu_info: gpuInfo };
    return this.http.retry(() => this.http.json('POST', this.url('connect'), body, signal), signal);
  }

  /** GET /api/workers/{id}/config (no retry) → nothing, a config or a command; throws on failure. */
  pollConfig(signal?: AbortSignal): Promise<unknown> {
    return this.http.json('GET', this.worker('config'), undefined, signal);
  }

  /** POST /api/workers/{id}/ready (retry) → a config with the public key and nonce range. */
  ready(gpuCount: number, signal?: AbortSignal): Promise<unknown> {
    return this.http.retry(() => this.http.json('POST', this.worker('ready'), { gpu_count: gpuCount }, signal), signal);
  }

  /** POST /api/workers/{id}/results (no retry); any 2xx answer means the orchestrator took it. The result's
   *  `result_id` also goes as the Idempotency-Key header. */
  async sendResult(result: { result_id?: string }, signal: AbortSignal): Promise<void> {
    const headers = result.result_id === undefined ? undefined : { 'idempotency-key': result.result_id };
    await this.http.post(this.worker('results'), result, { signal, headers });
  }

  /** POST /api/workers/{id}/results/batch (no retry); any 2xx answer means the orchestrator took them. */
  async sendResults(results: object[], signal: AbortSignal): Promise<void> {
    await this.http.post(this.worker('results/batch'), { results }, { signal });
  }

  /** POST /api/workers/{id}/heartbeat (no retry). */
  async heartbeat(pendingResults: number, lostResults: number): Promise<void> {
    await this.http.json('POST', this.worker('heartbeat'), { pending_results: pendingResults, lost_results: lostResults });
  }

  /** POST /api/workers/{id}/shutdown: retried (when `retry`) until `signal` (the session's cleanup deadline)
   *  aborts. */
  async shutdown(stats: object, signal: AbortSignal, retry: boolean): Promise<void> {
    const send = () => this.http.post(this.worker('shutdown'), { stats }, { signal });
    await (retry ? this.http.retry(send, signal) : send());
  }
}
