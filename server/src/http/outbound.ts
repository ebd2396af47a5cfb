// Outgoing HTTP (the controller, the orchestrator) over undici: JSON in and out, one timeout per request
// (HTTP_TIMEOUT, 10 s), and the spec's retry schedule for the calls marked "retry" (HTTP_RETRY_ATTEMPTS tries,
// backoff HTTP_RETRY_BASE doubling: 1, 2, 4, 8 s).
import { Agent, request } from 'undici';
import { sleep } from '../sleep.js';

export class HttpFailure extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'HttpFailure';
  }
}

export interface OutboundOptions {
  timeoutMs: number;
  retryAttempts: number;
  retryBaseMs: number;
}

export class Outbound {
  private readonly agent = new Agent({ keepAliveTimeout: 10_000 });

  constructor(private readonly opts: OutboundOptions) {}

  /** One request; the parsed JSON body (undefined when empty). Throws HttpFailure on non-2xx, bad JSON, a network
   *  failure or the timeout; rethrows the abort reason when `signal` stops it. */
  async json(method: 'GET' | 'POST', url: string, body?: unknown, signal?: AbortSignal): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    try {
      const res = await request(url, {
        method,
        dispatcher: this.agent,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.body.text();
      if (res.statusCode < 200 || res.statusCode >= 300) {
        throw new HttpFailure(`${method} ${url}: HTTP ${res.statusCode}`, res.statusCode);
      }
      if (text.trim() === '') return undefined;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new HttpFailure(`${method} ${url}: the response is not JSON`, res.statusCode);
      }
    } catch (err) {
      if (err instanceof HttpFailure) throw err;
      if (signal?.aborted) throw signal.reason;
      const reason = timeout.aborted ? `no answer within ${this.opts.timeoutMs / 1000} s` : describe(err);
      throw new HttpFailure(`${method} ${url}: ${reason}`);
    }
  }

  /** Runs `call` up to retryAttempts times with doubling backoff; the last failure is thrown. */
  async retry<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        if (attempt >= this.opts.retryAttempts || signal?.aborted) throw err;
        if (!(await sleep(this.opts.retryBaseMs * 2 ** (attempt - 1), signal))) throw err;
      }
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as Error & { code?: unknown }).code;
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${typeof code === 'string' ? `${code} ` : ''}${err.message}${cause}`;
}
