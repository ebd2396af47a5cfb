// The worker's configuration: one typed, validated object built from the environment (docs/pyworker.md §1.2, §11).
// This is the only file that reads environment variables; everything else receives a WorkerConfig.

import { ConfigError, EnvReader, isHttpUrl, type Env } from '../../common/src/env.js';

export { ConfigError };

export interface LogPatterns {
  onLoad: string[];
  onError: string[];
  onInfo: string[];
}

/** Durations of every loop, retry and wait, in milliseconds (short in tests, the spec's values by default). */
export interface WorkerTimings {
  reportTickMs: number;
  reportMaxSilenceMs: number;
  reportTimeoutMs: number;
  reportRetryGapMs: number;
  reportAttempts: number;
  deleteTickMs: number;
  pubkeyAttempts: number;
  pubkeyBackoffMs: number;
  pubkeyTimeoutMs: number;
  pubkeyWaitMs: number;
  logPollMs: number;
  logWaitMs: number;
  logPartialFlushMs: number;
  readyTimeoutMs: number;
  probeIntervalMs: number;
  probeTimeoutMs: number;
  errorGraceMs: number;
  errorConfirmMs: number;
  /** Between two health probes once loaded; 0: the health watcher is off. */
  healthIntervalMs: number;
  /** Consecutive failed health probes that make the model server unhealthy. */
  healthFailures: number;
  sessionGcMs: number;
  sessionCloseTimeoutMs: number;
  beaconMs: number;
  /** FIFO routes: how long a 503 {"error": "busy"} of the model server is retried before it is relayed. */
  busyRetryMs: number;
}

export interface WorkerConfig {
  containerId: number;
  masterToken: string;
  /** Autoscaler base URLs, trailing "/" stripped, in the order they are tried. */
  reportAddrs: string[];
  host: string;
  workerPort: number;
  workerHttpPort: number;
  useSsl: boolean;
  sslCertFile: string;
  sslKeyFile: string;
  unsecured: boolean;
  /** The url reported to the autoscaler: http[s]://PUBLIC_IPADDR:VAST_TCP_PORT_<WORKER_PORT>. */
  publicUrl: string;
  modelServerUrl: string;
  modelHealthPath: string;
  modelLog: string;
  logPatterns: LogPatterns;
  /** probe: an error line is fatal only if the model server is unhealthy afterwards; sticky: every one is. */
  errorLineRule: 'probe' | 'sticky';
  /** WORKER_PERF: max_perf in workload units per second; skips the benchmark when set. */
  workerPerf: number | undefined;
  benchmarkFile: string;
  benchmarkRuns: number;
  benchmarkConcurrency: number;
  forceUpdateFile: string;
  maxBodyBytes: number;
  maxSessions: number;
  diskPath: string;
  logLevel: string;
  timings: WorkerTimings;
}

export const PROTOCOL_VERSION = '1.1.0';

export const DEFAULT_LOG_PATTERNS: LogPatterns = {
  onLoad: ['Application startup complete.'],
  onError: ['Traceback (most recent call last):', 'Error:', 'CUDA error', 'RuntimeError:', 'OutOfMemoryError'],
  onInfo: ['INFO - Starting', 'INFO - Server ready'],
};

function readTimings(r: EnvReader): WorkerTimings {
  const ms = (name: string, fallback: number, min = 1): number => r.duration(name, fallback, min);
  return {
    reportTickMs: ms('WORKER_REPORT_TICK_MS', 1000),
    reportMaxSilenceMs: ms('WORKER_REPORT_MAX_SILENCE_MS', 10_000),
    reportTimeoutMs: ms('WORKER_REPORT_TIMEOUT_MS', 10_000),
    reportRetryGapMs: ms('WORKER_REPORT_RETRY_GAP_MS', 2000, 0),
    reportAttempts: r.int('WORKER_REPORT_ATTEMPTS', 3, 1, 100),
    deleteTickMs: ms('WORKER_DELETE_TICK_MS', 1000),
    pubkeyAttempts: r.int('WORKER_PUBKEY_ATTEMPTS', 5, 1, 100),
    pubkeyBackoffMs: ms('WORKER_PUBKEY_BACKOFF_MS', 1000, 0),
    pubkeyTimeoutMs: ms('WORKER_PUBKEY_TIMEOUT_MS', 10_000),
    pubkeyWaitMs: ms('WORKER_PUBKEY_WAIT_MS', 60_000),
    logPollMs: ms('WORKER_LOG_POLL_MS', 100),
    logWaitMs: ms('WORKER_LOG_WAIT_MS', 1000),
    logPartialFlushMs: ms('WORKER_LOG_PARTIAL_FLUSH_MS', 1000),
    readyTimeoutMs: ms('WORKER_READY_TIMEOUT_MS', 300_000),
    probeIntervalMs: ms('WORKER_PROBE_INTERVAL_MS', 1000),
    probeTimeoutMs: ms('WORKER_PROBE_TIMEOUT_MS', 10_000),
    errorGraceMs: ms('WORKER_ERROR_GRACE_MS', 2000, 0),
    errorConfirmMs: ms('WORKER_ERROR_CONFIRM_MS', 30_000),
    healthIntervalMs: ms('WORKER_HEALTH_INTERVAL_MS', 10_000, 0),
    healthFailures: r.int('WORKER_HEALTH_FAILURES', 3, 1, 1000),
    sessionGcMs: ms('WORKER_SESSION_GC_MS', 5000),
    sessionCloseTimeoutMs: ms('WORKER_SESSION_CLOSE_TIMEOUT_MS', 10_000),
    beaconMs: ms('WORKER_BEACON_MS', 10_000),
    busyRetryMs: ms('WORKER_BUSY_RETRY_MS', 30_000, 0),
  };
}

/** Builds the configuration; throws ConfigError naming every missing or malformed variable. */
export function loadConfig(env: Env = process.env): WorkerConfig {
  const r = new EnvReader(env);
  const containerIdRaw = r.required('CONTAINER_ID');
  const containerId = containerIdRaw === '' ? 0 : Number(containerIdRaw);
  if (containerIdRaw !== '' && !(/^\d+$/.test(containerIdRaw) && Number.isSafeInteger(containerId))) {
    r.problems.push(`CONTAINER_ID must be a non-negative integer, got "${containerIdRaw}"`);
  }
  const reportAddrs = reportAddresses(r);
  const workerPort = r.int('WORKER_PORT', 3000, 0, 65535);
  const workerHttpPort = r.int('WORKER_HTTP_PORT', workerPort === 0 ? 0 : workerPort + 1, 0, 65535);
  const useSsl = r.bool('USE_SSL', false);
  const publicIp = r.required('PUBLIC_IPADDR');
  const publicPort = r.required(`VAST_TCP_PORT_${workerPort}`);
  const config: WorkerConfig = {
    containerId: Number.isSafeInteger(containerId) ? containerId : 0,
    masterToken: env.MASTER_TOKEN ?? '',
    reportAddrs,
    host: r.str('WORKER_HOST', '0.0.0.0'),
    workerPort,
    workerHttpPort,
    useSsl,
    sslCertFile: r.str('WORKER_SSL_CERT', '/etc/instance.crt'),
    sslKeyFile: r.str('WORKER_SSL_KEY', '/etc/instance.key'),
    unsecured: r.bool('UNSECURED', false),
    publicUrl: `${useSsl ? 'https' : 'http'}://${publicIp}:${publicPort}`,
    modelServerUrl: r.url('MODEL_SERVER_URL', 'http://127.0.0.1:18000'),
    modelHealthPath: r.str('WORKER_MODEL_HEALTH_PATH', '/health'),
    modelLog: r.str('MODEL_LOG', '/var/log/model/server.log'),
    logPatterns: {
      onLoad: r.stringArray('WORKER_LOG_ON_LOAD', DEFAULT_LOG_PATTERNS.onLoad),
      onError: r.stringArray('WORKER_LOG_ON_ERROR', DEFAULT_LOG_PATTERNS.onError),
      onInfo: r.stringArray('WORKER_LOG_ON_INFO', DEFAULT_LOG_PATTERNS.onInfo),
    },
    errorLineRule: r.oneOf('WORKER_ERROR_LINES', ['probe', 'sticky'] as const, 'probe'),
    workerPerf: r.number('WORKER_PERF', undefined),
    benchmarkFile: r.str('WORKER_BENCHMARK_FILE', '.has_benchmark'),
    benchmarkRuns: r.int('WORKER_BENCHMARK_RUNS', 1, 1, 1000),
    benchmarkConcurrency: r.int('WORKER_BENCHMARK_CONCURRENCY', 1, 1, 1000),
    forceUpdateFile: r.str('WORKER_FORCE_UPDATE_FILE', '/.force_update'),
    maxBodyBytes: r.int('WORKER_MAX_BODY_BYTES', 16 * 1024 * 1024, 1),
    maxSessions: r.int('WORKER_MAX_SESSIONS', 10, 0),
    diskPath: r.str('WORKER_DISK_PATH', '/'),
    logLevel: r.str('WORKER_LOG_LEVEL', 'info'),
    timings: readTimings(r),
  };
  if (!config.modelHealthPath.startsWith('/')) r.problems.push('WORKER_MODEL_HEALTH_PATH must start with "/"');
  r.check('worker');
  return config;
}

/** REPORT_ADDR: a comma-separated list (default https://run.vast.ai, as start_server.sh sets it). */
function reportAddresses(r: EnvReader): string[] {
  const raw = r.str('REPORT_ADDR', 'https://run.vast.ai');
  const addrs = raw.split(',').map((a) => a.trim().replace(/\/+$/, '')).filter((a) => a !== '');
  for (const a of addrs) if (!isHttpUrl(a)) r.problems.push(`REPORT_ADDR entry "${a}" is not an absolute http(s) URL`);
  if (addrs.length === 0) r.problems.push('REPORT_ADDR has no address');
  return addrs;
}

/** What a broken configuration still allows: where to send the error beacon, and as which id (pitfall 7). */
export function beaconTarget(env: Env = process.env): { id: number; mtoken: string; reportAddrs: string[] } {
  const id = Number(env.CONTAINER_ID);
  const addrs = (env.REPORT_ADDR?.trim() || 'https://run.vast.ai')
    .split(',')
    .map((a) => a.trim().replace(/\/+$/, ''))
    .filter(isHttpUrl);
  return { id: Number.isSafeInteger(id) && id >= 0 ? id : 0, mtoken: env.MASTER_TOKEN ?? '', reportAddrs: addrs };
}
