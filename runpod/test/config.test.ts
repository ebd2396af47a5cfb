// The configuration (docs/runpod.md §2, §13 req. 1): the mode, the platform's variables as the SDK reads them, our
// waits with the spec's values as defaults, and a concurrency other than 1 refused at start with the reason.
import t from 'tap';
import { ConfigError, loadConfig } from '../src/config.js';
import { parseArgs } from '../src/main.js';

const platform = { RUNPOD_WEBHOOK_GET_JOB: 'http://h/v2/ep/job-take/$ID?gpu=A', RUNPOD_POD_ID: 'pod-9', RUNPOD_AI_API_KEY: 'k' };

t.test('platform mode with the SDK\'s defaults', async (t) => {
  const c = loadConfig(platform);
  t.equal(c.mode, 'platform');
  t.equal(c.workerId, 'pod-9');
  t.equal(c.concurrency, 1);
  t.equal(c.templates.postOutput, 'JOB_DONE_URL', 'unset result templates are the SDK\'s literals (every POST fails, logged)');
  t.equal(c.templates.ping, undefined);
  t.equal(c.logLevel, 'debug', 'RUNPOD_LOG_LEVEL defaults to DEBUG');
  t.equal(c.returnAggregateStream, true);
  t.equal(c.refreshWorker, false);
  t.equal(c.sdkVersion, '1.12.0');
  t.equal(c.modelServerUrl, 'http://127.0.0.1:18000');
  t.same(c.timings, {
    pingIntervalMs: 10_000, pingRetryDelaysMs: [0, 2000, 4000], firstPingWaitMs: 10_000, pollTimeoutMs: 90_000,
    emptyPollGapMs: 1000, rateLimitWaitMs: 5000, backoffMs: 1000, backoffMaxMs: 30_000, stopPollGapMs: 1000,
    postTimeoutMs: 600_000, postRetryDelaysMs: [2000, 3000], stopCleanupMs: 30_000, shutdownGraceMs: 5000,
    readyTimeoutMs: 420_000, probeIntervalMs: 200, probeTimeoutMs: 5000, busyRetryMs: 30_000,
  });
});

t.test('local mode: --test_input wins over the platform\'s variables; else ./test_input.json is read', async (t) => {
  t.equal(loadConfig(platform, '{"input":{}}').mode, 'local');
  t.equal(loadConfig(platform, '{"input":{}}').testInput, '{"input":{}}');
  let reads = 0;
  const local = loadConfig({}, undefined, () => (reads++, '{"input":1}'));
  t.same([local.mode, local.testInput, reads], ['local', '{"input":1}', 1]);
  loadConfig(platform, undefined, () => (reads++, 'x'));
  t.equal(reads, 1, 'the file is not read in platform mode');
});

t.test('the ping interval is in ms with a floor of 1 s; without a pod id the worker id is a fresh UUID', async (t) => {
  t.equal(loadConfig({ ...platform, RUNPOD_PING_INTERVAL: '250' }).timings.pingIntervalMs, 1000);
  t.equal(loadConfig({ ...platform, RUNPOD_PING_INTERVAL: '2500' }).timings.pingIntervalMs, 2500);
  const c = loadConfig({ RUNPOD_WEBHOOK_GET_JOB: 'http://h/job-take/$ID' });
  t.match(c.workerId, /^[0-9a-f-]{36}$/);
  t.equal(c.podIdGiven, false);
  t.equal(loadConfig({ ...platform, RUNPOD_LOG_LEVEL: 'warn' }).logLevel, 'warn');
  t.equal(loadConfig({ ...platform, RUNPOD_DEBUG_LEVEL: 'ERROR' }).logLevel, 'error', 'the older name is read too');
});

t.test('waits are configurable: _MS names in milliseconds, retry schedules as lists', async (t) => {
  const c = loadConfig({ ...platform, RUNPOD_WORKER_POST_RETRY_DELAYS_MS: '20,30,40', RUNPOD_WORKER_SHUTDOWN_GRACE_MS: '1500',
    RUNPOD_WORKER_POLL_TIMEOUT_MS: '300' });
  t.same(c.timings.postRetryDelaysMs, [20, 30, 40]);
  t.equal(c.timings.shutdownGraceMs, 1500);
  t.equal(c.timings.pollTimeoutMs, 300);
});

t.test('a concurrency other than 1 is refused at start, with the reason; every problem is named at once', async (t) => {
  const err = t.throws(() => loadConfig({ ...platform, RUNPOD_WORKER_CONCURRENCY: '2', RUNPOD_LOG_LEVEL: 'LOUD',
    MODEL_SERVER_URL: 'ftp://x' })) as ConfigError;
  t.type(err, ConfigError);
  t.match(err.message, /RUNPOD_WORKER_CONCURRENCY must be 1, got 2: the model server runs one job at a time/);
  t.match(err.message, /RUNPOD_LOG_LEVEL must be one of/);
  t.match(err.message, /MODEL_SERVER_URL must be an absolute http\(s\) URL/);
});

t.test('flags: --test_input JSON or --test_input=JSON; anything else is a usage error', async (t) => {
  t.same(parseArgs(['--test_input', '{"input":1}']), { testInput: '{"input":1}' });
  t.same(parseArgs(['--test_input={"input":2}']), { testInput: '{"input":2}' });
  t.same(parseArgs([]), { testInput: undefined });
  t.throws(() => parseArgs(['--rp_serve_api']), /unknown flag "--rp_serve_api"/);
  t.throws(() => parseArgs(['--test_input']), /needs a JSON value/);
});
