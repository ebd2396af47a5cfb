// Starting a worker for a test: the configuration comes from an environment like Vast's, with every interval,
// retry and benchmark duration made short; logs are silent unless WORKER_TEST_LOG names a level.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { request, type Dispatcher } from 'undici';
import { loadConfig, type WorkerConfig } from '../../src/config.js';
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

export async function startTestWorker(env: Record<string, string>, dir = testDir()): Promise<TestWorker> {
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
  const level = process.env.WORKER_TEST_LOG ?? 'silent';
  const handle = await startWorker(config, pino({ level }, pino.destination(2)));
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

export function writeBenchmarkFile(dir: string, text: string): void {
  writeFileSync(join(dir, '.has_benchmark'), text);
}
