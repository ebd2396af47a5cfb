// The model server's pino logger: JSON lines on stderr (stdout carries only "Application startup complete.").
//
// The Python PyWorker tails this log and marks the worker failed, for good, on any line containing "Error:",
// "RuntimeError:", "CUDA error", "OutOfMemoryError" or a Python traceback header (pyworker.md §5, §9.2). So errors
// are logged as {type, code, message} without stack traces, and "Error:" inside a message is defused: a client's
// bad JSON must not take the worker out of rotation.
import pino, { type Logger } from 'pino';

const ON_ERROR_PATTERNS = /Error:|CUDA error|OutOfMemoryError|Traceback \(most recent call last\):/g;
const DEFUSED: Record<string, string> = {
  'Error:': 'Error -', 'CUDA error': 'CUDA failure', OutOfMemoryError: 'OutOfMemory',
  'Traceback (most recent call last):': 'Traceback -',
};

/** Keeps a text from matching the PyWorker's on_error substrings. */
export function defuse(text: string): string {
  return text.replace(ON_ERROR_PATTERNS, (m) => DEFUSED[m]);
}

function serializeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: defuse(String(err)) };
  const code = (err as Error & { code?: unknown }).code;
  return { type: err.name, ...(code === undefined ? {} : { code }), message: defuse(err.message) };
}

export function createLogger(level: string): Logger {
  return pino(
    { level, base: { service: 'model-server' }, serializers: { err: serializeError, error: serializeError } },
    pino.destination({ fd: 2, sync: true }),
  );
}

export type { Logger };
