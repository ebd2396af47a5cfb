// The health watcher: once loaded, the worker probes the model server every WORKER_HEALTH_INTERVAL_MS; after
// WORKER_HEALTH_FAILURES failed probes in a row error_msg says so, until a fresh on_load line's load sequence
// succeeds. Against the REAL model server killed with SIGKILL (no line in its log), and a stand-in for the rest.

import t, { type Test } from 'tap';
import { join } from 'node:path';
import { FakeAutoscaler } from './helpers/fake-autoscaler.js';
import { FakeModel } from './helpers/fake-model.js';
import { appendLog, startTestWorker, testDir, until } from './helpers/harness.js';
import { freePort, startModelServer, untilServing } from './helpers/model-server.js';

const auto = new FakeAutoscaler();
t.before(() => auto.start());
t.teardown(() => auto.close());

const INTERVAL = 300;
const FAILURES = 3;
const HEALTH = { WORKER_HEALTH_INTERVAL_MS: String(INTERVAL), WORKER_HEALTH_FAILURES: String(FAILURES) };
/** The report tick of the test harness (WORKER_REPORT_TICK_MS). */
const REPORT_TICK = 50;
const statusesOf = (id: number) => auto.statuses.filter((s) => s.body.id === id).map((s) => s.body);

async function withModel(t: Test): Promise<FakeModel> {
  const m = new FakeModel();
  await m.start();
  t.teardown(() => m.close());
  return m;
}

t.test('the real model server killed with SIGKILL: the next reports carry "Model server unhealthy" in time', async (t) => {
  const dir = testDir();
  const server = await startModelServer(join(dir, 'server.log'));
  t.teardown(() => server.kill('SIGKILL'));
  const w = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: server.url, WORKER_PERF: '50', CONTAINER_ID: '7101', ...HEALTH }, dir);
  t.teardown(() => w.close());
  await untilServing(server, () => w.handle.accounting.modelLoaded, 30_000);
  await until(() => w.handle.health.stats.healthy >= 2, 5000, 'healthy probes of the running server');

  await server.kill('SIGKILL');
  const killedAt = Date.now();
  // The bound of the behaviour: FAILURES probes INTERVAL apart, then one report tick; 2 s of slack for a loaded machine.
  const bound = INTERVAL * FAILURES + REPORT_TICK;
  await auto.waitFor(() => statusesOf(7101).some((s) => s.error_msg !== ''), bound + 2000, 'the unhealthy report');
  const elapsed = auto.statuses.find((s) => s.body.id === 7101 && s.body.error_msg !== '')!.at - killedAt;
  t.ok(elapsed <= bound + 2000, `reported ${elapsed} ms after the kill (bound ${bound} ms)`);
  const report = statusesOf(7101).find((s) => s.error_msg !== '')!;
  t.match(report.error_msg, /^Model server unhealthy: GET http:\/\/127\.0\.0\.1:\d+\/health: ECONNREFUSED .*\(3 failed probes\)$/);
  t.equal(w.handle.accounting.stickyError, '', 'nothing in the model log: only the watcher saw it');
});

t.test('a 503 with cuda_broken makes the model server unhealthy; a 200 alone does not clear it, a successful reload does', async (t) => {
  const m = await withModel(t);
  const w = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: m.url, WORKER_PERF: '50', CONTAINER_ID: '7102', ...HEALTH });
  t.teardown(() => w.close());
  appendLog(w.logFile, 'Application startup complete.\n');
  await until(() => w.handle.lifecycle.stats.loads === 1, 5000, 'loaded');

  m.healthStatus = 503; // what our model server answers once its device is unusable
  await auto.waitFor(() => statusesOf(7102).some((s) => s.error_msg !== ''), INTERVAL * FAILURES + REPORT_TICK + 2000, 'the unhealthy report');
  t.equal(statusesOf(7102).find((s) => s.error_msg !== '')!.error_msg, 'Model server unhealthy: HTTP 503, cuda_broken (3 failed probes)');

  m.healthStatus = 200;
  const healthy = w.handle.health.stats.healthy;
  await until(() => w.handle.health.stats.healthy >= healthy + 2, 5000, 'two healthy probes');
  t.equal(w.handle.accounting.errorMsg, 'Model server unhealthy: HTTP 503, cuda_broken (3 failed probes)', 'still reported');

  const reports = statusesOf(7102).length;
  appendLog(w.logFile, 'Application startup complete.\n');
  await until(() => w.handle.lifecycle.stats.loads === 2, 5000, 'reloaded');
  await auto.waitFor(() => statusesOf(7102).slice(reports).some((s) => s.error_msg === ''), 5000, 'the recovery reported');
  t.equal(w.handle.accounting.errorMsg, '');
});

t.test('the error of a recovered server comes back if it fails again; a sticky error wins over it', async (t) => {
  const m = await withModel(t);
  const w = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: m.url, WORKER_PERF: '50', ...HEALTH });
  t.teardown(() => w.close());
  appendLog(w.logFile, 'Application startup complete.\n');
  await until(() => w.handle.lifecycle.stats.loads === 1, 5000, 'loaded');
  m.healthStatus = 500;
  await until(() => w.handle.accounting.healthError !== '', 5000, 'unhealthy');
  t.equal(w.handle.accounting.errorMsg, 'Model server unhealthy: HTTP 500, cuda_broken (3 failed probes)');
  m.healthStatus = 200;
  appendLog(w.logFile, 'Application startup complete.\n');
  await until(() => w.handle.lifecycle.stats.loads === 2 && w.handle.accounting.errorMsg === '', 5000, 'recovered');
  m.healthStatus = 503;
  await until(() => w.handle.accounting.healthError !== '', 5000, 'unhealthy again');
  t.equal(w.handle.accounting.errorMsg, 'Model server unhealthy: HTTP 503, cuda_broken (3 failed probes)');
  await w.handle.reportFatal('Model server exited', new AbortController().signal);
  t.equal(w.handle.accounting.errorMsg, 'Model server exited');
});

t.test('before the first successful load, failures are ignored: the model server is still starting', async (t) => {
  const w = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: `http://127.0.0.1:${await freePort()}`, WORKER_PERF: '50', ...HEALTH });
  t.teardown(() => w.close());
  await until(() => w.handle.health.stats.skipped >= FAILURES + 1, 5000, 'watcher ticks before any load');
  t.same([w.handle.health.stats.failed, w.handle.accounting.errorMsg], [0, '']);
});
