import t from 'tap';
import { beaconTarget, ConfigError, DEFAULT_LOG_PATTERNS, loadConfig } from '../src/config.js';

const base = { CONTAINER_ID: '17', PUBLIC_IPADDR: '198.51.100.2', VAST_TCP_PORT_3000: '40123' };

t.test('defaults follow the PyWorker and the seed configuration', async (t) => {
  const c = loadConfig(base);
  t.match(c, {
    containerId: 17,
    masterToken: '',
    reportAddrs: ['https://run.vast.ai'],
    host: '0.0.0.0',
    workerPort: 3000,
    workerHttpPort: 3001,
    useSsl: false,
    sslCertFile: '/etc/instance.crt',
    sslKeyFile: '/etc/instance.key',
    unsecured: false,
    publicUrl: 'http://198.51.100.2:40123',
    modelServerUrl: 'http://127.0.0.1:18000',
    modelHealthPath: '/health',
    modelLog: '/var/log/model/server.log',
    errorLineRule: 'probe',
    workerPerf: undefined,
    benchmarkFile: '.has_benchmark',
    benchmarkRuns: 1,
    benchmarkConcurrency: 1,
    forceUpdateFile: '/.force_update',
    maxSessions: 10,
  });
  t.same(c.logPatterns, DEFAULT_LOG_PATTERNS);
  t.match(c.timings, {
    reportTickMs: 1000, reportMaxSilenceMs: 10_000, reportTimeoutMs: 10_000, reportRetryGapMs: 2000, reportAttempts: 3,
    deleteTickMs: 1000, pubkeyAttempts: 5, pubkeyBackoffMs: 1000, pubkeyTimeoutMs: 10_000, pubkeyWaitMs: 60_000,
    logPollMs: 100, logWaitMs: 1000, readyTimeoutMs: 300_000, sessionGcMs: 5000, beaconMs: 10_000,
    healthIntervalMs: 10_000, healthFailures: 3,
  });
});

t.test('the health watcher is configurable: WORKER_HEALTH_INTERVAL_MS=0 turns it off, at least one failure counts', async (t) => {
  t.match(loadConfig({ ...base, WORKER_HEALTH_INTERVAL_MS: '0', WORKER_HEALTH_FAILURES: '1' }).timings, { healthIntervalMs: 0, healthFailures: 1 });
  const err = t.throws(() => loadConfig({ ...base, WORKER_HEALTH_INTERVAL_MS: '-1', WORKER_HEALTH_FAILURES: '0' })) as ConfigError;
  t.ok(err.problems.some((p) => p.startsWith('WORKER_HEALTH_INTERVAL_MS')));
  t.ok(err.problems.some((p) => p.startsWith('WORKER_HEALTH_FAILURES')));
});

t.test('REPORT_ADDR is a comma-separated list, trailing slashes stripped; SSL changes the reported url', async (t) => {
  const c = loadConfig({
    ...base,
    REPORT_ADDR: 'https://a.example/, http://b.example:8080//,',
    USE_SSL: 'True',
    WORKER_PORT: '3100',
    VAST_TCP_PORT_3100: '40999',
    WORKER_PERF: '2048.5',
    WORKER_LOG_ON_ERROR: '["CUDA error", "fatal: "]',
    MODEL_SERVER_URL: 'http://10.0.0.2:18001/',
  });
  t.same(c.reportAddrs, ['https://a.example', 'http://b.example:8080']);
  t.equal(c.publicUrl, 'https://198.51.100.2:40999');
  t.equal(c.workerHttpPort, 3101);
  t.equal(c.workerPerf, 2048.5);
  t.same(c.logPatterns.onError, ['CUDA error', 'fatal: ']);
  t.equal(c.modelServerUrl, 'http://10.0.0.2:18001');
});

t.test('every missing or malformed variable is named at once (the PyWorker crashed on the first)', async (t) => {
  const err = t.throws(() =>
    loadConfig({ WORKER_PERF: '0', USE_SSL: 'maybe', REPORT_ADDR: 'ftp://x', WORKER_LOG_ON_LOAD: 'Application', WORKER_PORT: '70000' }),
  ) as ConfigError;
  t.type(err, ConfigError);
  for (const name of ['CONTAINER_ID', 'PUBLIC_IPADDR', 'VAST_TCP_PORT_3000', 'WORKER_PERF', 'USE_SSL', 'REPORT_ADDR', 'WORKER_LOG_ON_LOAD', 'WORKER_PORT']) {
    t.ok(err.problems.some((p) => p.startsWith(name)), `${name} is reported`);
  }
});

t.test('a broken configuration still yields where to report the error', async (t) => {
  t.same(beaconTarget({ REPORT_ADDR: 'http://a.example/,bad', MASTER_TOKEN: 'm' }), { id: 0, mtoken: 'm', reportAddrs: ['http://a.example'] });
  t.same(beaconTarget({ CONTAINER_ID: '9' }), { id: 9, mtoken: '', reportAddrs: ['https://run.vast.ai'] });
});
