// The orchestrator's worker API (model-server.md "POST /pooled"): JSON over HTTP, 10 s per request; the calls
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

  /** POST /api/workers/{id}/results (no retry). */
  async sendResult(result: object): Promise<void> {
    await this.http.json('POST', this.worker('results'), result);
  }

  /** POST /api/workers/{id}/results/batch (no retry). */
  async sendResults(results: object[]): Promise<void> {
    await this.http.json('POST', this.worker('results/batch'), { results });
  }

  /** POST /api/workers/{id}/heartbeat (no retry). */
  async heartbeat(pendingResults: number, lostResults: number): Promise<void> {
    await this.http.json('POST', this.worker('heartbeat'), { pending_results: pendingResults, lost_results: lostResults });
  }

  /** POST /api/workers/{id}/shutdown (retry, unless `stop` says the server itself is going down). */
  async shutdown(stats: object, stop?: AbortSignal): Promise<void> {
    await this.http.retry(() => this.http.json('POST', this.worker('shutdown'), { stats }), stop);
  }
}
