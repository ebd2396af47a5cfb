// HTTP to peers outside the project (the controller, the orchestrator, the autoscaler), over undici, the same way
// in every service: each request bounded by a Deadline (its timeout, and the caller's signal), each answer read up
// to a cap, JSON in and out, and retry schedules that a stop cuts short.
import { Agent, request } from 'undici';
import { readCapped } from './body-cap.js';
import { Deadline, sleep } from './deadline.js';
import { CodedError } from './errors.js';

/** A request that failed: no answer (network, timeout, too large), or (json, post) an answer that is not a 2xx or
 *  not JSON. `status` is the answer's, when there was one. */
export class HttpFailure extends CodedError {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super('ERR_HTTP', message);
    this.name = 'HttpFailure';
  }
}

export interface HttpClientOptions {
  /** One request's limit, headers and answer included. */
  timeoutMs: number;
  /** Bytes of an answer read at most; a larger one is a failure. */
  maxAnswerBytes: number;
  /** Connections per origin (undici's default: no limit). */
  connections?: number;
}

export interface SendOptions {
  /** A string goes as it is, anything else as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Ends the request early (a stop, a cleanup deadline): its reason is rethrown. */
  signal?: AbortSignal;
  /** A fresh connection for this request (no keep-alive socket left behind). */
  fresh?: boolean;
  /** Only the status matters: the answer's body is discarded, however large. */
  statusOnly?: boolean;
}

export interface Answer {
  status: number;
  body: Buffer;
  /** The answer's headers, names in lower case (content-type, retry-after). */
  headers: Record<string, string | string[] | undefined>;
}

export class HttpClient {
  private readonly agent: Agent;

  constructor(private readonly opts: HttpClientOptions) {
    this.agent = new Agent({ keepAliveTimeout: 10_000, ...(opts.connections ? { connections: opts.connections } : {}) });
  }

  /** One request, whatever the status. Throws HttpFailure when no answer came (network, timeout, too large). */
  async send(method: 'GET' | 'POST', url: string, o: SendOptions = {}): Promise<Answer> {
    const deadline = new Deadline(this.opts.timeoutMs, { parents: [o.signal], what: 'request timeout' });
    const body = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
    try {
      const res = await request(url, {
        method,
        dispatcher: this.agent,
        signal: deadline.signal,
        reset: o.fresh === true,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...o.headers },
        body,
      });
      if (o.statusOnly) {
        await res.body.dump();
        return { status: res.statusCode, body: Buffer.alloc(0), headers: res.headers };
      }
      return { status: res.statusCode, body: await readCapped(res.body, this.opts.maxAnswerBytes), headers: res.headers };
    } catch (err) {
      if (o.signal?.aborted) throw o.signal.reason;
      const reason = deadline.expired ? `no answer within ${this.opts.timeoutMs / 1000} s` : describe(err);
      throw new HttpFailure(`${method} ${url}: ${reason}`);
    } finally {
      deadline.dispose();
    }
  }

  /** A request whose answer must be a 2xx with a JSON body (or none: undefined). */
  async json(method: 'GET' | 'POST', url: string, body?: unknown, signal?: AbortSignal): Promise<unknown> {
    const text = (await this.ok(method, url, { body, signal })).toString('utf8');
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new HttpFailure(`${method} ${url}: the answer is not JSON`);
    }
  }

  /** A POST whose answer only needs to be a 2xx (whatever its body): the peer took it. */
  async post(url: string, body: unknown, o: Omit<SendOptions, 'body'> = {}): Promise<void> {
    await this.ok('POST', url, { ...o, body });
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async ok(method: 'GET' | 'POST', url: string, o: SendOptions): Promise<Buffer> {
    const answer = await this.send(method, url, o);
    if (answer.status < 200 || answer.status >= 300) throw new HttpFailure(`${method} ${url}: HTTP ${answer.status}`, answer.status);
    return answer.body;
  }
}

export interface RetryOptions {
  attempts: number;
  /** The wait before attempt n + 1, after attempt n failed. */
  delayMs: (attempt: number) => number;
  /** Stops the retries (and the wait) early; the last failure is thrown. */
  signal?: AbortSignal;
}

/** Runs `call` until it succeeds or `attempts` have failed; the last failure is thrown. */
export async function retry<T>(call: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(attempt);
    } catch (err) {
      if (attempt >= o.attempts || o.signal?.aborted) throw err;
      if (!(await sleep(o.delayMs(attempt), o.signal))) throw err;
    }
  }
}

/** Backoff that doubles from `firstMs` (1, 2, 4, 8 s for 1000). */
export const doubling = (firstMs: number) => (attempt: number): number => firstMs * 2 ** (attempt - 1);

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as Error & { code?: unknown }).code;
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${typeof code === 'string' ? `${code} ` : ''}${err.message}${cause}`;
}
