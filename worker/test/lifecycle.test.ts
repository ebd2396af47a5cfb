// Readiness from the model log, max_perf and the error rule (docs/pyworker.md §5, §6, and our fixes of pitfalls 2, 4).

import t, { type Test } from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { classifyLine } from '../src/lifecycle.js';
import { DEFAULT_LOG_PATTERNS } from '../src/config.js';
import { PUBKEY_FAILURE } from '../src/pubkey.js';
import { FakeAutoscaler } from './helpers/fake-autoscaler.js';
import { FakeModel } from './helpers/fake-model.js';
import { appendLog, startTestWorker, testDir, until, writeBenchmarkFile } from './helpers/harness.js';

const auto = new FakeAutoscaler();
t.before(() => auto.start());
t.teardown(() => auto.close());

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function withModel(t: Test): Promise<FakeModel> {
  const m = new FakeModel();
  await m.start();
  t.teardown(() => m.close());
  return m;
}

const LOAD = 'Application startup complete.\n';

t.test('lines are matched as substrings, on_load before on_error before on_info', async (t) => {
  const p = DEFAULT_LOG_PATTERNS;
  t.same(classifyLine('x Application startup complete. Error: y', p), { kind: 'load', pattern: 'Application startup complete.' });
  t.same(classifyLine('ValueError: bad', p), { kind: 'error', pattern: 'Error:' });
  t.same(classifyLine('2026 INFO - Server ready', p), { kind: 'info', pattern: 'INFO - Server ready' });
  t.same(classifyLine('error: lower case', p), { kind: 'none' });
});

t.test('on_load counts only once the model server answers: then loaded with WORKER_PERF', async (t) => {
  const port = await freePort();
  const w = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: `http://127.0.0.1:${port}`, WORKER_PERF: '300' });
  const workerUpAt = Date.now();
  t.teardown(() => w.close());
  appendLog(w.logFile, LOAD);
  await until(() => w.handle.lifecycle.stats.loadProbes >= 3, 3000, 'three refused readiness probes');
  t.equal(w.handle.accounting.modelLoaded, false, 'not loaded while the model server refuses connections');
  const m = new FakeModel();
  const modelUpAt = Date.now();
  await m.start(port);
  t.teardown(() => m.close());
  await until(() => w.handle.accounting.modelLoaded, 3000, 'loaded');
  t.equal(w.handle.accounting.maxPerf, 300);
  t.ok(w.handle.accounting.loadtime * 1000 >= modelUpAt - workerUpAt, 'loadtime counts from the worker start');
  t.equal(w.handle.accounting.errorMsg, '');
  t.equal(m.received.filter((r) => r.path === '/health').length, 0, 'WORKER_PERF skips the benchmark');
  // A repeated on_load (the model server restarted) keeps max_perf and recomputes loadtime.
  const first = w.handle.accounting.loadtime;
  t.equal(w.handle.lifecycle.stats.loads, 1);
  appendLog(w.logFile, LOAD);
  await until(() => w.handle.lifecycle.stats.loads === 2, 3000, 'reloaded');
  t.ok(w.handle.accounting.loadtime >= first, 'loadtime recomputed from the worker start');
  t.equal(w.handle.accounting.maxPerf, 300);
});

t.test('a model server that never answers after on_load errors the worker after the readiness timeout', async (t) => {
  const port = await freePort();
  const w = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: `http://127.0.0.1:${port}`, WORKER_PERF: '1', WORKER_READY_TIMEOUT_MS: '300' });
  t.teardown(() => w.close());
  appendLog(w.logFile, LOAD);
  await until(() => w.handle.accounting.errorMsg !== '', 3000);
  t.match(w.handle.accounting.errorMsg, /^Benchmark failed with error: model server not healthy after 0\.3 s/);
});

t.test('without WORKER_PERF or .has_benchmark the benchmark runs against the model server and is saved', async (t) => {
  const m = await withModel(t);
  const w = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: m.url, WORKER_BENCHMARK_RUNS: '2', WORKER_BENCHMARK_CONCURRENCY: '3' });
  t.teardown(() => w.close());
  appendLog(w.logFile, LOAD);
  await until(() => w.handle.accounting.modelLoaded, 5000, 'loaded');
  const health = m.received.filter((r) => r.path === '/health');
  t.equal(health.length, 1 + 2 * 3, 'one warm-up, then runs x concurrency');
  t.ok(health.every((r) => r.method === 'POST' && JSON.stringify(r.body) === '{}'), 'POST /health with {}');
  const saved = readFileSync(join(w.dir, '.has_benchmark'), 'utf8');
  t.match(saved, /^\d+(\.\d+)?(e[+-]\d+)?$/, 'written as a Python float');
  t.equal(Number(saved), w.handle.accounting.maxPerf);
  t.ok(w.handle.accounting.maxPerf > 0);
  await auto.waitFor(() => auto.statuses.some((s) => s.body.id === 4242 && s.body.max_perf === Number(saved)));
});

t.test('.has_benchmark gives max_perf and skips the benchmark, warm-up included', async (t) => {
  const m = await withModel(t);
  const dir = testDir();
  writeBenchmarkFile(dir, '512.5\n');
  const w = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: m.url }, dir);
  t.teardown(() => w.close());
  appendLog(w.logFile, LOAD);
  await until(() => w.handle.accounting.modelLoaded);
  t.equal(w.handle.accounting.maxPerf, 512.5);
  t.equal(m.received.length, 0);
});

t.test('a malformed .has_benchmark is the PyWorker error "Benchmark failed with error: ..."', async (t) => {
  const m = await withModel(t);
  const dir = testDir();
  writeBenchmarkFile(dir, 'fast\n');
  const w = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: m.url }, dir);
  t.teardown(() => w.close());
  appendLog(w.logFile, LOAD);
  await until(() => w.handle.accounting.errorMsg !== '');
  t.match(w.handle.accounting.errorMsg, /^Benchmark failed with error: .*'fast'/);
});

t.test('a benchmark without a single 200 is "No successful responses from benchmark", loaded with max_perf 0', async (t) => {
  const m = await withModel(t);
  m.healthStatus = 500;
  // The readiness probe needs a 200: let the first GET through, then fail the benchmark's POSTs.
  const w = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: m.url, WORKER_MODEL_HEALTH_PATH: '/ready' });
  t.teardown(() => w.close());
  // GET /ready is not /health to the fake model: it answers 200 (a stream), so the readiness probe passes.
  appendLog(w.logFile, LOAD);
  await until(() => w.handle.accounting.errorMsg !== '', 3000);
  t.equal(w.handle.accounting.errorMsg, 'No successful responses from benchmark');
  t.equal(w.handle.accounting.modelLoaded, true);
  t.equal(w.handle.accounting.maxPerf, 0);
  t.notOk(existsSync(join(w.dir, '.has_benchmark')));
});

t.test('an error line while the model server stays healthy is handled: never reported (our rule)', async (t) => {
  const m = await withModel(t);
  const w = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: m.url, WORKER_PERF: '10', CONTAINER_ID: '4343' });
  t.teardown(() => w.close());
  appendLog(w.logFile, LOAD);
  await until(() => w.handle.accounting.modelLoaded);
  appendLog(w.logFile, 'request failed: ValueError: invalid literal\nTraceback (most recent call last):\n');
  // Both lines join one check, which ends with the first 200.
  await until(() => w.handle.lifecycle.stats.errorLines === 2 && w.handle.lifecycle.stats.handledErrorLines === 1, 3000, 'the check');
  await w.handle.lifecycle.idle();
  t.equal(w.handle.accounting.errorMsg, '');
  await auto.waitFor(() => auto.statuses.filter((s) => s.body.id === 4343).length >= 3);
  t.ok(auto.statuses.filter((s) => s.body.id === 4343).every((s) => s.body.error_msg === ''), 'no report carried an error');
});

t.test('an error line after which the model server is unhealthy reaches error_msg, sticky', async (t) => {
  const m = await withModel(t);
  const w = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: m.url, WORKER_PERF: '10' });
  t.teardown(() => w.close());
  appendLog(w.logFile, LOAD);
  await until(() => w.handle.accounting.modelLoaded);
  m.healthStatus = 503; // what our model server answers once cuda_broken
  appendLog(w.logFile, 'device 0: CUDA error 700: an illegal memory access was encountered\n');
  await auto.waitFor(() => String(auto.lastStatus()?.error_msg).startsWith('CUDA error'), 3000, 'the error report');
  t.equal(auto.lastStatus()!.error_msg, 'CUDA error (model log: device 0: CUDA error 700: an illegal memory access was encountered)');
  m.healthStatus = 200;
  const lines = w.handle.lifecycle.stats.errorLines;
  appendLog(w.logFile, 'RuntimeError: later\n');
  await until(() => w.handle.lifecycle.stats.errorLines === lines + 1, 3000, 'the later error line read');
  await w.handle.lifecycle.idle();
  t.match(w.handle.accounting.errorMsg, /^CUDA error/, 'the first error stays');
});

t.test('an error line followed by the model server going away reaches error_msg', async (t) => {
  const m = await withModel(t);
  const w = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: m.url, WORKER_PERF: '10' });
  t.teardown(() => w.close());
  appendLog(w.logFile, LOAD);
  await until(() => w.handle.accounting.modelLoaded);
  await m.close();
  appendLog(w.logFile, 'Traceback (most recent call last):\n');
  await until(() => w.handle.accounting.errorMsg !== '', 3000);
  t.equal(w.handle.accounting.errorMsg, 'Traceback (most recent call last): (model log: Traceback (most recent call last):)');
});

t.test('WORKER_ERROR_LINES=sticky restores the PyWorker rule: any error line is fatal at once', async (t) => {
  const m = await withModel(t);
  const w = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: m.url, WORKER_ERROR_LINES: 'sticky' });
  t.teardown(() => w.close());
  appendLog(w.logFile, 'handled: KeyError: x\n');
  await until(() => w.handle.accounting.errorMsg !== '', 2000);
  t.match(w.handle.accounting.errorMsg, /^Error: \(model log: handled: KeyError: x\)$/);
});

t.test('a public key that cannot be fetched errors the worker with the PyWorker message', async (t) => {
  const m = await withModel(t);
  auto.failPubkey = 1000;
  t.teardown(() => { auto.failPubkey = 0; });
  const before = auto.pubkeyRequests;
  const w = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: m.url, WORKER_PUBKEY_ATTEMPTS: '3', WORKER_PERF: '5' });
  t.teardown(() => w.close());
  await until(() => w.handle.accounting.errorMsg !== '', 3000);
  t.equal(w.handle.accounting.errorMsg, PUBKEY_FAILURE);
  t.equal(auto.pubkeyRequests - before, 3);
});

t.test('on_info lines are only logged', async (t) => {
  const m = await withModel(t);
  const w = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: m.url, WORKER_PERF: '5' });
  t.teardown(() => w.close());
  appendLog(w.logFile, 'INFO - Starting\nINFO - Server ready\n');
  await until(() => w.handle.lifecycle.stats.infoLines === 2, 3000, 'both lines read');
  await w.handle.lifecycle.idle();
  t.equal(w.handle.accounting.modelLoaded, false);
  t.equal(w.handle.accounting.errorMsg, '');
});
