// Starting a worker for a test: the configuration comes from an environment like Vast's, with every interval,
// retry and benchmark duration made short; logs are silent unless WORKER_TEST_LOG names a level or the test
// captures them (LogCapture).

import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type DestinationStream } from 'pino';
import { request, type Dispatcher } from 'undici';
import { loadConfig, type WorkerConfig } from '../../src/config.js';
import { workerLogger, type Logger } from '../../src/logger.js';
import { startWorker, type WorkerHandle } from '../../src/worker.js';

export const FAST_TIMINGS: Record<string, string> = {
  WORKER_REPORT_TICK_MS: '50',
  WORKER_REPORT_MAX_SILENCE_MS: '400',
  WORKER_REPORT_TIMEOUT_MS: '5000',
  WORKER_REPORT_RETRY_GAP_MS: '20',
  WORKER_DELETE_TICK_MS: '50',
  WORKER_PUBKEY_BACKOFF_MS: '20',
  WORKER_PUBKEY_TIMEOUT_MS: '2000',
  WORKER_PUBKEY_WAIT_MS: '3000',
  WORKER_LOG_POLL_MS: '20',
  WORKER_LOG_WAIT_MS: '50',
  WORKER_LOG_PARTIAL_FLUSH_MS: '200',
  WORKER_READY_TIMEOUT_MS: '3000',
  WORKER_PROBE_INTERVAL_MS: '50',
  WORKER_PROBE_TIMEOUT_MS: '1000',
  WORKER_ERROR_GRACE_MS: '50',
  WORKER_ERROR_CONFIRM_MS: '600',
  WORKER_SESSION_GC_MS: '50',
  WORKER_SESSION_CLOSE_TIMEOUT_MS: '2000',
};

export interface TestWorker {
  handle: WorkerHandle;
  config: WorkerConfig;
  url: string;
  dir: string;
  logFile: string;
  close(): Promise<void>;
}

/** A fresh temp directory holding the model log (created empty) and the benchmark file. */
export function testDir(): string {
  return mkdtempSync(join(tmpdir(), 'worker-test-'));
}

/** The worker's log lines, as written (after defusing), parsed; `onLine` callbacks see each as it comes. */
export class LogCapture implements DestinationStream {
  readonly raw: string[] = [];
  readonly lines: Record<string, unknown>[] = [];
  private readonly listeners = new Set<() => void>();

  write(text: string): void {
    for (const line of text.split('\n')) {
      if (line === '') continue;
      this.raw.push(line);
      this.lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    for (const l of this.listeners) l();
  }

  /** The messages logged so far. */
  messages(): string[] {
    return this.lines.map((l) => String(l.msg));
  }

  /** Resolves once a line with this message has been written (or rejects after `ms`). */
  waitFor(msg: string, ms = 5000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const line = this.lines.find((l) => l.msg === msg);
        if (line === undefined) return false;
        clearTimeout(timer);
        this.listeners.delete(onLine);
        resolve(line);
        return true;
      };
      const onLine = (): void => void check();
      const timer = setTimeout(() => {
        this.listeners.delete(onLine);
        reject(new Error(`timed out waiting for the log line "${msg}"`));
      }, ms);
      this.listeners.add(onLine);
      check();
    });
  }

  logger(level = 'info'): Logger {
    return workerLogger(level, this);
  }
}

export async function startTestWorker(env: Record<string, string>, dir = testDir(), capture?: LogCapture): Promise<TestWorker> {
  const logFile = join(dir, 'server.log');
  writeFileSync(logFile, '', { flag: 'a' });
  const config = loadConfig({
    CONTAINER_ID: '4242',
    MASTER_TOKEN: 'master-token',
    WORKER_HOST: '127.0.0.1',
    WORKER_PORT: '0',
    WORKER_HTTP_PORT: '0',
    PUBLIC_IPADDR: '203.0.113.7',
    VAST_TCP_PORT_0: '41000',
    MODEL_LOG: logFile,
    WORKER_BENCHMARK_FILE: join(dir, '.has_benchmark'),
    WORKER_FORCE_UPDATE_FILE: join(dir, '.force_update'),
    ...FAST_TIMINGS,
    ...env,
  });
  const log = capture?.logger() ?? workerLogger(process.env.WORKER_TEST_LOG ?? 'silent', pino.destination(2));
  const handle = await startWorker(config, log);
  const scheme = config.useSsl ? 'https' : 'http';
  return { handle, config, url: `${scheme}://127.0.0.1:${handle.port}`, dir, logFile, close: () => handle.close() };
}

export function appendLog(file: string, text: string): void {
  writeFileSync(file, text, { flag: 'a' });
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** POSTs a JSON value (or a raw string) and reads the whole answer. */
export async function post(url: string, body: unknown, opts: { dispatcher?: Dispatcher; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Reply> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...opts.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    dispatcher: opts.dispatcher,
    signal: opts.signal,
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

export async function until(predicate: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The test certificate (self-signed for 127.0.0.1) and its key, kept in worker/test/fixtures. */
const FIXTURES = join(__dirname, '../../../../worker/test/fixtures');
export const INSTANCE_CERT = join(FIXTURES, 'instance.crt');

/** The environment of a worker serving HTTPS with the test certificate. */
export const TLS_ENV: Record<string, string> = {
  USE_SSL: 'true', WORKER_SSL_CERT: INSTANCE_CERT, WORKER_SSL_KEY: join(FIXTURES, 'instance.key'),
};

export function writeBenchmarkFile(dir: string, text: string): void {
  writeFileSync(join(dir, '.has_benchmark'), text);
}

/** Writes `text` as is on a fresh connection (TLS when `ca` is given) and reads until the server closes it. */
export function rawExchange(port: number, text: string, ca?: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = ca === undefined ? connectTcp(port, '127.0.0.1') : connectTls({ host: '127.0.0.1', port, ca });
    const chunks: Buffer[] = [];
    socket.on(ca === undefined ? 'connect' : 'secureConnect', () => socket.write(text));
    socket.on('data', (c: Buffer) => chunks.push(c));
    // A server that answers before reading everything may reset the connection after its answer: keep the answer.
    socket.on('error', (err) => (chunks.length > 0 ? undefined : reject(err)));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** The status and JSON body of a raw HTTP/1.1 answer. */
export function parseRawAnswer(text: string): { status: number; contentType: string | undefined; body: unknown } {
  const [head, body = ''] = text.split('\r\n\r\n', 2);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  const contentType = /^content-type: *(.*)$/im.exec(head)?.[1];
  return { status, contentType, body: body === '' ? undefined : JSON.parse(body) };
}
