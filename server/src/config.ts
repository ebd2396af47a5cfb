// The model server's configuration: one typed object built from the environment here, and only here.
// Durations are given in seconds (as the spec's constants are) and held in milliseconds.

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

/** Every variable, its default and what it sets; the README's table is this list. */
export const ENV_DEFAULTS = {
  HOST: '0.0.0.0',
  PORT: '18000',
  LOG_LEVEL: 'info',
  ENGINE_BACKEND: 'auto',
  ENGINE_DEVICES: '',
  ENGINE_THREADS: '',
  ENGINE_MEMORY_LIMIT_GB: '',
  MAX_BATCH_SIZE: '256',
  MAX_JOB_DURATION: '420',
  WARMUP_POLL_INTERVAL: '5',
  WARMUP_MAX_DURATION: '600',
  POOLED_POLL_INTERVAL: '0.5',
  POOLED_MAX_DURATION: '600',
  POOLED_MODEL_LOAD_TIMEOUT: '300',
  POOLED_HEARTBEAT_INTERVAL: '10',
  POOLED_RESULT_BUFFER: '1000',
  HTTP_TIMEOUT: '10',
  HTTP_RETRY_ATTEMPTS: '5',
  HTTP_RETRY_BASE: '1',
  EXIT_ON_FATAL: 'true',
  MAX_EVENT_LOOP_DELAY: '1',
  SHUTDOWN_TIMEOUT: '8',
  JOB_TAKEOVER: 'true',
  TAKEOVER_TIMEOUT: '10',
  HTTP_MAX_ANSWER_BYTES: '1048576',
} as const;

export type EnvName = keyof typeof ENV_DEFAULTS;

export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG';
  constructor(name: string, value: string, expected: string) {
    super(`${name}=${JSON.stringify(value)}: expected ${expected}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Builds the configuration from `env` (process.env by default); throws ConfigError naming the bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): ServerConfig {
  const read = (name: EnvName): string => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? ENV_DEFAULTS[name] : value;
  };
  const integer = (name: EnvName, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const text = read(name);
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      throw new ConfigError(name, text, `an integer in [${min}, ${max}]`);
    }
    return value;
  };
  const seconds = (name: EnvName): number => {
    const text = read(name);
    const value = Number(text);
    if (text === '' || !Number.isFinite(value) || value <= 0) throw new ConfigError(name, text, 'seconds > 0');
    return Math.round(value * 1000);
  };
  const oneOf = <T extends string>(name: EnvName, choices: readonly T[]): T => {
    const text = read(name).toLowerCase();
    if (!choices.includes(text as T)) throw new ConfigError(name, text, `one of ${choices.join(', ')}`);
    return text as T;
  };
  const flag = (name: EnvName): boolean => ['true', '1'].includes(oneOf(name, ['true', 'false', '1', '0'] as const));
  const list = (name: EnvName): number[] | undefined => {
    const text = read(name);
    if (text === '') return undefined;
    const items = text.split(',').map((s) => s.trim());
    if (!items.every((s) => /^\d+$/.test(s))) throw new ConfigError(name, text, 'comma-separated device ordinals');
    return items.map(Number);
  };

  const threadsText = read('ENGINE_THREADS');
  const memoryText = read('ENGINE_MEMORY_LIMIT_GB');
  const memoryLimitGb = memoryText === '' ? undefined : Number(memoryText);
  if (memoryLimitGb !== undefined && !(Number.isFinite(memoryLimitGb) && memoryLimitGb > 0)) {
    throw new ConfigError('ENGINE_MEMORY_LIMIT_GB', memoryText, 'GiB > 0');
  }
  return {
    host: read('HOST'),
    port: integer('PORT', 0, 65535),
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS),
    backend: oneOf('ENGINE_BACKEND', ['cpu', 'cuda', 'auto'] as const),
    devices: list('ENGINE_DEVICES'),
    threads: threadsText === '' ? undefined : integer('ENGINE_THREADS', 1, 4096),
    memoryLimitGb,
    maxBatchSize: integer('MAX_BATCH_SIZE', 1, 1 << 20),
    maxJobDurationMs: seconds('MAX_JOB_DURATION'),
    warmupPollIntervalMs: seconds('WARMUP_POLL_INTERVAL'),
    warmupMaxDurationMs: seconds('WARMUP_MAX_DURATION'),
    pooledPollIntervalMs: seconds('POOLED_POLL_INTERVAL'),
    pooledMaxDurationMs: seconds('POOLED_MAX_DURATION'),
    pooledModelLoadTimeoutMs: seconds('POOLED_MODEL_LOAD_TIMEOUT'),
    pooledHeartbeatIntervalMs: seconds('POOLED_HEARTBEAT_INTERVAL'),
    pooledResultBuffer: integer('POOLED_RESULT_BUFFER', 1),
    httpTimeoutMs: seconds('HTTP_TIMEOUT'),
    httpRetryAttempts: integer('HTTP_RETRY_ATTEMPTS', 1, 100),
    httpRetryBaseMs: seconds('HTTP_RETRY_BASE'),
    exitOnFatal: flag('EXIT_ON_FATAL'),
    maxEventLoopDelayMs: seconds('MAX_EVENT_LOOP_DELAY'),
    shutdownTimeoutMs: seconds('SHUTDOWN_TIMEOUT'),
    jobTakeover: flag('JOB_TAKEOVER'),
    takeoverTimeoutMs: seconds('TAKEOVER_TIMEOUT'),
    httpMaxAnswerBytes: integer('HTTP_MAX_ANSWER_BYTES', 1024),
  };
}
