// The Runpod worker's configuration: one typed, validated object built from the environment and the command line
// (docs/runpod.md §2, §13 req. 1). This is the only file that reads environment variables. The platform's
// variables are read as the SDK reads them; ours (RUNPOD_WORKER_*) make every wait of the protocol configurable,
// with the spec's values as defaults, so that tests run scaled down.
import { randomUUID } from 'node:crypto';
import { ConfigError, EnvReader, type Env } from '../../common/src/env.js';

export { ConfigError };

/** Durations of every wait of the protocol, in milliseconds. */
export interface RunpodTimings {
  /** Heartbeat period: max(1000, RUNPOD_PING_INTERVAL) (docs/runpod.md §13 req. 5). */
  pingIntervalMs: number;
  /** Waits before ping attempts 2, 3, 4 (a network error or 429/5xx); Retry-After wins when given. */
  pingRetryDelaysMs: number[];
  /** The first take waits for the first ping to end (so it is never later than the take), at most this long. */
  firstPingWaitMs: number;
  /** One job-take or job-stop long-poll at most (then it is dropped and repeated). */
  pollTimeoutMs: number;
  /** A take that came back empty sooner than this after it began waits out the rest. */
  emptyPollGapMs: number;
  /** After a 429 on take or stop. */
  rateLimitWaitMs: number;
  /** Take errors back off from this, doubling with jitter, up to backoffMaxMs. */
  backoffMs: number;
  backoffMaxMs: number;
  /** job-stop: the wait after an answer without ids or a failed poll. */
  stopPollGapMs: number;
  /** One job-stream or job-done attempt at most. */
  postTimeoutMs: number;
  /** Waits before job-stream / job-done attempts 2, 3, ... (5xx; the attempts are one more than the waits). */
  postRetryDelaysMs: number[];
  /** A stopped job's cleanup (the model server's job ended, the devices free) before the next take. */
  stopCleanupMs: number;
  /** SIGTERM/SIGINT: the running job is cancelled and its job-done posted within this. */
  shutdownGraceMs: number;
  /** At start, how long the model server may take to answer its health probe. */
  readyTimeoutMs: number;
  /** Between two readiness probes, and between two looks at whether the model server's job has ended. */
  probeIntervalMs: number;
  /** One health or metrics request to the model server at most. */
  probeTimeoutMs: number;
  /** A 503 {"error": "busy"} of the model server (its previous job still ending) is retried this long. */
  busyRetryMs: number;
}

export interface RunpodConfig {
  /** Platform mode (take jobs from Runpod) or local mode (one test job, printed). */
  mode: 'platform' | 'local';
  /** Local mode: the job (from --test_input, else ./test_input.json when it exists). */
  testInput: string | undefined;
  templates: {
    getJob: string;
    postOutput: string;
    postStream: string;
    /** Undefined: no heartbeat (PING_NOT_SET). */
    ping: string | undefined;
  };
  apiKey: string;
  /** RUNPOD_POD_ID, or a random UUID (and then no heartbeat, as with the SDK). */
  workerId: string;
  podIdGiven: boolean;
  endpointId: string | undefined;
  /** pino level name derived from RUNPOD_LOG_LEVEL (else RUNPOD_DEBUG_LEVEL). */
  logLevel: string;
  concurrency: 1;
  returnAggregateStream: boolean;
  refreshWorker: boolean;
  /** runpod_version in pings: the SDK version whose protocol this worker speaks. */
  sdkVersion: string;
  modelServerUrl: string;
  /** Bytes of a job-take answer read at most (Runpod accepts /run inputs up to 10 MB, /runsync up to 20 MB). */
  maxJobBytes: number;
  timings: RunpodTimings;
}

/** The SDK's level names (RUNPOD_LOG_LEVEL) and the pino level each becomes. */
const LEVELS: Record<string, string> = {
  NOTSET: 'trace', TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', WARNING: 'warn', ERROR: 'error',
};

/** The SDK's placeholders when a result template is unset: every POST to them fails, and is logged. */
const UNSET_OUTPUT = 'JOB_DONE_URL';
const UNSET_STREAM = 'JOB_STREAM_URL';
const UNSET_PING = 'PING_NOT_SET';

function readTimings(r: EnvReader): RunpodTimings {
  const ms = (name: string, fallback: number, min = 1): number => r.duration(name, fallback, min);
  const delays = (name: string, fallback: number[]): number[] => r.intList(name) ?? fallback;
  return {
    pingIntervalMs: Math.max(1000, r.int('RUNPOD_PING_INTERVAL', 10_000, 0)),
    pingRetryDelaysMs: delays('RUNPOD_WORKER_PING_RETRY_DELAYS_MS', [0, 2000, 4000]),
    firstPingWaitMs: ms('RUNPOD_WORKER_FIRST_PING_WAIT_MS', 10_000, 0),
    pollTimeoutMs: ms('RUNPOD_WORKER_POLL_TIMEOUT_MS', 90_000),
    emptyPollGapMs: ms('RUNPOD_WORKER_EMPTY_POLL_GAP_MS', 1000, 0),
    rateLimitWaitMs: ms('RUNPOD_WORKER_RATE_LIMIT_WAIT_MS', 5000, 0),
    backoffMs: ms('RUNPOD_WORKER_BACKOFF_MS', 1000),
    backoffMaxMs: ms('RUNPOD_WORKER_BACKOFF_MAX_MS', 30_000),
    stopPollGapMs: ms('RUNPOD_WORKER_STOP_POLL_GAP_MS', 1000, 0),
    postTimeoutMs: ms('RUNPOD_WORKER_POST_TIMEOUT_MS', 600_000),
    postRetryDelaysMs: delays('RUNPOD_WORKER_POST_RETRY_DELAYS_MS', [2000, 3000]),
    stopCleanupMs: ms('RUNPOD_WORKER_STOP_CLEANUP_MS', 30_000),
    shutdownGraceMs: ms('RUNPOD_WORKER_SHUTDOWN_GRACE_MS', 5000),
    readyTimeoutMs: ms('RUNPOD_WORKER_READY_TIMEOUT_MS', 420_000),
    probeIntervalMs: ms('RUNPOD_WORKER_PROBE_INTERVAL_MS', 200),
    probeTimeoutMs: ms('RUNPOD_WORKER_PROBE_TIMEOUT_MS', 5000),
    busyRetryMs: ms('RUNPOD_WORKER_BUSY_RETRY_MS', 30_000, 0),
  };
}

/**
 * Builds the configuration; throws ConfigError naming every malformed variable. `testInput` is --test_input's
 * value; `localFile` reads ./test_input.json (undefined when there is none), asked only in local mode without it.
 */
export function loadConfig(env: Env, testInput?: string, localFile: () => string | undefined = () => undefined): RunpodConfig {
  const r = new EnvReader(env);
  const getJob = r.raw('RUNPOD_WEBHOOK_GET_JOB');
  const mode = testInput === undefined && getJob !== undefined ? 'platform' : 'local';
  const podId = r.raw('RUNPOD_POD_ID');
  const levelName = (r.raw('RUNPOD_LOG_LEVEL') ?? r.raw('RUNPOD_DEBUG_LEVEL') ?? 'DEBUG').toUpperCase();
  if (!(levelName in LEVELS)) r.problems.push(`RUNPOD_LOG_LEVEL must be one of ${Object.keys(LEVELS).join(', ')}, got "${levelName}"`);
  const concurrency = r.int('RUNPOD_WORKER_CONCURRENCY', 1, 1);
  if (concurrency !== 1) {
    r.problems.push(`RUNPOD_WORKER_CONCURRENCY must be 1, got ${concurrency}: the model server runs one job at a time ` +
      '(on every device at once), so a second job on this worker would only take over from the first');
  }
  const ping = r.raw('RUNPOD_WEBHOOK_PING');
  const config: RunpodConfig = {
    mode,
    testInput: mode === 'local' ? testInput ?? localFile() : undefined,
    templates: {
      getJob: getJob ?? '',
      postOutput: r.str('RUNPOD_WEBHOOK_POST_OUTPUT', UNSET_OUTPUT),
      postStream: r.str('RUNPOD_WEBHOOK_POST_STREAM', UNSET_STREAM),
      ping: ping === undefined || ping === UNSET_PING ? undefined : ping,
    },
    apiKey: r.str('RUNPOD_AI_API_KEY', ''),
    workerId: podId ?? randomUUID(),
    podIdGiven: podId !== undefined,
    endpointId: r.raw('RUNPOD_ENDPOINT_ID'),
    logLevel: LEVELS[levelName] ?? 'debug',
    concurrency: 1,
    returnAggregateStream: r.bool('RUNPOD_WORKER_AGGREGATE', true),
    refreshWorker: r.bool('RUNPOD_WORKER_REFRESH', false),
    sdkVersion: r.str('RUNPOD_WORKER_SDK_VERSION', '1.12.0'),
    modelServerUrl: r.url('MODEL_SERVER_URL', 'http://127.0.0.1:18000'),
    maxJobBytes: r.int('RUNPOD_WORKER_MAX_JOB_BYTES', 32 * 1024 * 1024, 1024),
    timings: readTimings(r),
  };
  r.check('runpod worker');
  return config;
}
