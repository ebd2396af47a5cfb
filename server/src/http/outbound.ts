// The model server's outgoing HTTP (the controller, the orchestrator): common's client with the server's settings
// (HTTP_TIMEOUT per request, answers up to HTTP_MAX_ANSWER_BYTES) and the spec's retry schedule for the calls
// marked "retry" (HTTP_RETRY_ATTEMPTS tries, backoff HTTP_RETRY_BASE doubling: 1, 2, 4, 8 s).
import { doubling, HttpClient, retry } from '../../../common/src/http-client.js';

export { HttpFailure } from '../../../common/src/http-client.js';

export interface OutboundOptions {
  timeoutMs: number;
  retryAttempts: number;
  retryBaseMs: number;
  maxAnswerBytes: number;
}

export class Outbound extends HttpClient {
  constructor(private readonly settings: OutboundOptions) {
    super({ timeoutMs: settings.timeoutMs, maxAnswerBytes: settings.maxAnswerBytes });
  }

  /** Runs `call` with the retry schedule; `signal` (a stop, a cleanup deadline) cuts it short. */
  retry<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return retry(call, { attempts: this.settings.retryAttempts, delayMs: doubling(this.settings.retryBaseMs), signal });
  }
}
