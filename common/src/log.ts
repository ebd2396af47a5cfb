// The services' pino loggers: JSON lines on stderr, errors as {type, code, message}, and every line defused.
//
// A worker in front (Vast's Python PyWorker, or ours with WORKER_ERROR_LINES=sticky) tails the model log and takes
// the worker out of rotation, for good, on any line that contains "Error:", "RuntimeError:", "CUDA error",
// "OutOfMemoryError" or a Python traceback header, as a substring. Clients choose strings that reach the log
// (public keys, block hashes, job ids, URLs), so one request could otherwise take a healthy worker down. The last
// step before a line is written (pino's streamWrite hook) rewrites those substrings wherever they are: in the
// message, in any field, in the request URL Fastify logs. One line is exempt on purpose: a genuine fatal device
// failure (logDeviceFailure) says "CUDA error", so that any PyWorker takes the broken worker out of rotation.
import pino, { type Logger } from 'pino';

/** The default on_error substrings of the PyWorker (and of our worker's WORKER_LOG_ON_ERROR). */
export const PYWORKER_ERROR_PATTERNS = [
  'Traceback (most recent call last):', 'Error:', 'CUDA error', 'RuntimeError:', 'OutOfMemoryError',
] as const;

const PATTERNS = /Traceback \(most recent call last\):|Error:|CUDA error|OutOfMemoryError/g;
const DEFUSED: Record<string, string> = {
  'Traceback (most recent call last):': 'Traceback -',
  'Error:': 'Error -',
  'CUDA error': 'CUDA failure',
  OutOfMemoryError: 'OutOfMemory',
};

/** A text that contains none of the PyWorker's on_error substrings ("RuntimeError:" is covered by "Error:"). */
export function defuse(text: string): string {
  return text.replace(PATTERNS, (m) => DEFUSED[m]);
}

/** {type, code, message} of an error, without its stack (a stack line would read "Error: ..."). */
export function serializeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const code = (err as Error & { code?: unknown }).code;
  return { type: err.name, ...(code === undefined ? {} : { code }), message: err.message };
}

export interface LoggerOptions {
  /** The `service` field of every line. */
  service: string;
  level: string;
  /** Where lines go (default: stderr, written synchronously so the order with other output holds). */
  destination?: pino.DestinationStream;
}

/** Set while logDeviceFailure writes its one line, whose message alone keeps its "CUDA error". */
const deliberate = Symbol('deliberate');
type Deliberate = { [deliberate]?: { on: boolean } };
const DEVICE_FAILURE = 'CUDA error: ';
/** The message of that line once defused: inside a JSON string a client's quote is escaped, so this exact text
 *  can only be the msg field itself. */
const DEVICE_FAILURE_DEFUSED = `"msg":"${defuse(DEVICE_FAILURE)}`;

export function createLogger(o: LoggerOptions): Logger {
  const state = { on: false };
  const logger = pino(
    {
      level: o.level,
      base: { service: o.service },
      serializers: { err: serializeError, error: serializeError },
      hooks: {
        streamWrite: (line) => {
          const clean = defuse(line);
          return state.on ? clean.replace(DEVICE_FAILURE_DEFUSED, `"msg":"${DEVICE_FAILURE}`) : clean;
        },
      },
    },
    o.destination ?? pino.destination({ fd: 2, sync: true }),
  );
  // Child loggers (Fastify's per-request ones too) inherit this through their prototype chain.
  (logger as Logger & Deliberate)[deliberate] = state;
  return logger;
}

/**
 * The one line of a genuine fatal device failure: "CUDA error: <what>", whatever the backend, so that a PyWorker
 * watching the log marks the worker failed. Everything else in the line is defused as usual.
 */
export function logDeviceFailure(log: Logger, fields: Record<string, unknown>, what: string): void {
  const state = (log as Logger & Deliberate)[deliberate];
  const msg = `${DEVICE_FAILURE}${what}`;
  if (!state) return log.fatal(fields, msg);
  state.on = true;
  try {
    log.fatal(fields, msg);
  } finally {
    state.on = false;
  }
}

export type { Logger };
