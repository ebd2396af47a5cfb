// The model server's configuration: one typed object built from the environment here, and only here (with the
// reader both services share: common/src/env.ts). Durations are given in seconds, as the spec's constants are.
import { EnvReader, type Env } from '../../common/src/env.js';

export type BackendChoice = 'cpu' | 'cuda' | 'auto';

export interface ServerConfig {
  host: string;
  port: number;
  logLevel: string;
  backend: BackendChoice;
  /** CUDA ordinals to use; undefined = every device. */
  devices: number[] | undefined;
  /** CPU compute threads; undefined = the engine's default (every core). */
  threads: number | undefined;
  /** CPU backend: devices the threads are split between. */
  cpuDevices: number;
  /** GiB of memory each CUDA device may use (weights mode and batch size follow); undefined = all it has. */
  memoryLimitGb: number | undefined;
  /** Upper bound on a batch, whatever the device prefers: a disconnect or a stop waits for at most one batch. */
  maxBatchSize: number;
  maxJobDurationMs: number;
  warmupPollIntervalMs: number;
  warmupMaxDurationMs: number;
  pooledPollIntervalMs: number;
  pooledMaxDurationMs: number;
  pooledModelLoadTimeoutMs: number;
  pooledHeartbeatIntervalMs: number;
  /** Results kept for the orchestrator while it cannot take them. */
  pooledResultBuffer: number;
  /** Outgoing HTTP (controller, orchestrator): timeout of one request. */
  httpTimeoutMs: number;
  /** Outgoing HTTP calls marked "retry": attempts, and the first backoff (doubling: 1, 2, 4, 8 s by default). */
  httpRetryAttempts: number;
  httpRetryBaseMs: number;
  /** After a fatal device failure: exit non-zero once the failing stream is flushed (a supervisor restarts us). */
  exitOnFatal: boolean;
  /** @fastify/under-pressure: answer 503 while the event loop lags more than this. */
  maxEventLoopDelayMs: number;
  /** Graceful shutdown: stop jobs, flush results, close the engine; force the exit after this long. */
  shutdownTimeoutMs: number;
  /** A new job takes over from the running one (true), or is refused with 503 busy (false). */
  jobTakeover: boolean;
  /** How long a new job waits for the job it takes over to stop and clean up. */
  takeoverTimeoutMs: number;
  /** Answers of the controller and the orchestrator are read up to this many bytes. */
  httpMaxAnswerBytes: number;
}

/** Of SHUTDOWN_TIMEOUT, what the running job's cleanup (flushing results) may not use: the shutdown notice, the end
 *  of its stream and the engine's close come after it. */
export const SHUTDOWN_RESERVE_MS = 2000;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Builds the configuration from `env` (process.env by default), the README's table of variables in code; throws
 *  ConfigError naming every bad variable. Durations are seconds (fractions allowed), held in milliseconds. */
export function loadConfig(env: Env = process.env): ServerConfig {
  const r = new EnvReader(env);
  const threads = r.raw('ENGINE_THREADS') === undefined ? undefined : r.int('ENGINE_THREADS', 0, 1, 4096);
  const config: ServerConfig = {
    host: r.str('HOST', '0.0.0.0'),
    port: r.int('PORT', 18000, 0, 65535),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    backend: r.oneOf('ENGINE_BACKEND', ['cpu', 'cuda', 'auto'] as const, 'auto'),
    devices: r.intList('ENGINE_DEVICES'),
    threads,
    cpuDevices: r.int('ENGINE_CPU_DEVICES', 1, 1, 256),
    memoryLimitGb: r.number('ENGINE_MEMORY_LIMIT_GB', undefined),
    maxBatchSize: r.int('MAX_BATCH_SIZE', 256, 1, 1 << 20),
    maxJobDurationMs: r.duration('MAX_JOB_DURATION', 420_000),
    warmupPollIntervalMs: r.duration('WARMUP_POLL_INTERVAL', 5_000),
    warmupMaxDurationMs: r.duration('WARMUP_MAX_DURATION', 600_000),
    pooledPollIntervalMs: r.duration('POOLED_POLL_INTERVAL', 500),
    pooledMaxDurationMs: r.duration('POOLED_MAX_DURATION', 600_000),
    pooledModelLoadTimeoutMs: r.duration('POOLED_MODEL_LOAD_TIMEOUT', 300_000),
    pooledHeartbeatIntervalMs: r.duration('POOLED_HEARTBEAT_INTERVAL', 10_000),
    pooledResultBuffer: r.int('POOLED_RESULT_BUFFER', 1000, 1),
    httpTimeoutMs: r.duration('HTTP_TIMEOUT', 10_000),
    httpRetryAttempts: r.int('HTTP_RETRY_ATTEMPTS', 5, 1, 100),
    httpRetryBaseMs: r.duration('HTTP_RETRY_BASE', 1_000),
    exitOnFatal: r.bool('EXIT_ON_FATAL', true),
    maxEventLoopDelayMs: r.duration('MAX_EVENT_LOOP_DELAY', 1_000),
    shutdownTimeoutMs: r.duration('SHUTDOWN_TIMEOUT', 8_000),
    jobTakeover: r.bool('JOB_TAKEOVER', true),
    takeoverTimeoutMs: r.duration('TAKEOVER_TIMEOUT', 10_000),
    httpMaxAnswerBytes: r.int('HTTP_MAX_ANSWER_BYTES', 1 << 20, 1024),
  };
  r.check('model server');
  return config;
}
