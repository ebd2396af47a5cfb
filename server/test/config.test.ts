// loadConfig: the spec's defaults, overrides from the environment, and a clear error naming a bad variable.
import t from 'tap';
import { loadConfig } from '../src/config.js';

t.test('defaults are the spec\'s constants', async (t) => {
  const c = loadConfig({});
  t.match(c, {
    host: '0.0.0.0', port: 18000, logLevel: 'info', backend: 'auto', devices: undefined, threads: undefined,
    maxJobDurationMs: 420_000, warmupPollIntervalMs: 5_000, warmupMaxDurationMs: 600_000, pooledPollIntervalMs: 500,
    pooledMaxDurationMs: 600_000, pooledModelLoadTimeoutMs: 300_000, pooledHeartbeatIntervalMs: 10_000,
    pooledResultBuffer: 1000, httpTimeoutMs: 10_000, httpRetryAttempts: 5, httpRetryBaseMs: 1_000, exitOnFatal: true,
  });
});

t.test('every setting comes from its variable', async (t) => {
  const c = loadConfig({
    HOST: '127.0.0.1', PORT: '8080', LOG_LEVEL: 'DEBUG', ENGINE_BACKEND: 'cuda', ENGINE_DEVICES: '0, 2',
    ENGINE_THREADS: '3', ENGINE_MEMORY_LIMIT_GB: '22.5', MAX_JOB_DURATION: '2.5', POOLED_POLL_INTERVAL: '0.05', EXIT_ON_FATAL: 'false', HTTP_RETRY_BASE: '0.01',
  });
  t.match(c, {
    host: '127.0.0.1', port: 8080, logLevel: 'debug', backend: 'cuda', devices: [0, 2], threads: 3, memoryLimitGb: 22.5,
    maxJobDurationMs: 2500, pooledPollIntervalMs: 50, exitOnFatal: false, httpRetryBaseMs: 10,
  });
  t.equal(loadConfig({ PORT: ' ' }).port, 18000, 'blank means default');
});

t.test('a bad value is an error that names the variable', async (t) => {
  for (const [name, value] of [
    ['PORT', '70000'], ['PORT', 'abc'], ['MAX_JOB_DURATION', '0'], ['MAX_JOB_DURATION', '-1'], ['WARMUP_POLL_INTERVAL', 'soon'],
    ['ENGINE_BACKEND', 'tpu'], ['ENGINE_DEVICES', '0,x'], ['ENGINE_THREADS', '0'], ['LOG_LEVEL', 'loud'], ['EXIT_ON_FATAL', 'maybe'],
    ['POOLED_RESULT_BUFFER', '0'], ['MAX_BATCH_SIZE', '1.5'], ['ENGINE_MEMORY_LIMIT_GB', '0'], ['ENGINE_MEMORY_LIMIT_GB', 'lots'],
  ]) {
    t.throws(() => loadConfig({ [name]: value }), { name: 'ConfigError', code: 'ERR_CONFIG', problems: [new RegExp(`^${name} must be `)] },
      `${name}=${value}`);
  }
});

t.test('every problem is named at once, and booleans and durations read as in the worker', async (t) => {
  const err = t.throws(() => loadConfig({ PORT: 'x', MAX_JOB_DURATION: 'soon', EXIT_ON_FATAL: 'maybe' })) as unknown as { problems: string[] };
  t.same(err.problems.map((p) => p.split(' ')[0]), ['PORT', 'MAX_JOB_DURATION', 'EXIT_ON_FATAL']);
  t.match(loadConfig({ EXIT_ON_FATAL: 'No', JOB_TAKEOVER: 'off', SHUTDOWN_TIMEOUT: '2.5' }), {
    exitOnFatal: false, jobTakeover: false, shutdownTimeoutMs: 2500,
  });
});
