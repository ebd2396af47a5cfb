// Outgoing HTTP (the controller, the orchestrator) over undici: JSON in and out, one timeout per request
// (HTTP_TIMEOUT, 10 s), answers read up to HTTP_MAX_ANSWER_BYTES, and the spec's retry schedule for the calls marked
// "retry" (HTTP_RETRY_ATTEMPTS tries, backoff HTTP_RETRY_BASE doubling: 1, 2, 4, 8 s). A caller's signal (a job's
// stop, a cleanup deadline) cuts both the request and the backoff short.
import { Agent, request } from 'undici';
import { readCapped } from '../../../common/src/body-cap.js';
import { Deadline, sleep } from '../../../common/src/deadline.js';

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
  maxAnswerBytes: number;
}

export interface CallOptions {
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

export class Outbound {
  private readonly agent = new Agent({ keepAliveTimeout: 10_000 });

  constructor(private readonly opts: OutboundOptions) {}

  /** One request; the parsed JSON body (undefined when empty). Throws HttpFailure on non-2xx, bad JSON, a network
   *  failure, a too large answer or the timeout; rethrows the abort reason when `signal` stops it. */
  async json(method: 'GET' | 'POST', url: string, body?: unknown, signal?: AbortSignal): Promise<unknown> {
    const text = (await this.send(method, url, body, { signal })).toString('utf8');
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new HttpFailure(`${method} ${url}: the answer is not JSON`);
    }
  }

  /** A POST whose answer only needs to be a 2xx (whatever its body): the peer took it. */
  async post(url: string, body: unknown, opts: CallOptions = {}): Promise<void> {
    await this.send('POST', url, body, opts);
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

  private async send(method: 'GET' | 'POST', url: string, body: unknown, opts: CallOptions): Promise<Buffer> {
    const { signal } = opts;
    const deadline = new Deadline(this.opts.timeoutMs, { parents: [signal], what: 'request timeout' });
    try {
      const res = await request(url, {
        method,
        dispatcher: this.agent,
        signal: deadline.signal,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...opts.headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const answer = await readCapped(res.body, this.opts.maxAnswerBytes);
      if (res.statusCode < 200 || res.statusCode >= 300) {
        throw new HttpFailure(`${method} ${url}: HTTP ${res.statusCode}`, res.statusCode);
      }
      return answer;
    } catch (err) {
      if (err instanceof HttpFailure) throw err;
      if (signal?.aborted) throw signal.reason;
      const reason = deadline.expired ? `no answer within ${this.opts.timeoutMs / 1000} s` : describe(err);
      throw new HttpFailure(`${method} ${url}: ${reason}`);
    } finally {
      deadline.dispose();
    }
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as Error & { code?: unknown }).code;
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${typeof code === 'string' ? `${code} ` : ''}${err.message}${cause}`;
}
